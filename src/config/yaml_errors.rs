//! YAML errors as one line a user can act on: the key the error is at (`exchange.instruments.BTCUSDT.tick_size`),
//! the problem in plain words rather than the parser's or a type's own wording, then line and column.

use crate::error::plain_words;

/// One line describing a YAML error in `text`: the key path at the error, what is wrong, and where.
pub fn yaml_error_line(error: &serde_saphyr::Error, text: &str) -> String {
    let inner = error.without_snippet();
    let raw = inner.to_string().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    let Some(at) = inner.location() else { return plain_words(&raw) };
    let (line, column) = (at.line() as usize, at.column() as usize);
    // The parser says where itself, in varying words; the position is given once, at the end.
    let message = raw.rfind(" at line ").map_or(raw.as_str(), |cut| &raw[..cut]);
    let message = plain_words(message);
    match key_path(text, line, column) {
        Some(path) if !message.contains(&path) => format!("{path}: {message} (line {line}, column {column})"),
        _ => format!("{message} (line {line}, column {column})"),
    }
}

/// The dotted path of the key whose value is at 1-based `line` and `column` of `text` (`data[0].format`), as far
/// as block indentation and one line's flow mappings tell; `None` outside any key.
fn key_path(text: &str, line: usize, column: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let target = *lines.get(line.checked_sub(1)?)?;
    let (mut indent, item) = indentation(target);
    let mut path = Vec::new();
    if item {
        path.push(format!("[{}]", items_before(&lines[..line - 1], indent)));
    }
    path.extend(keys_on_line(target, column));
    let mut parents = Vec::new();
    for (index, earlier) in lines[..line - 1].iter().enumerate().rev() {
        let (level, item) = indentation(earlier);
        if earlier.trim().is_empty() || earlier.trim_start().starts_with('#') || level >= indent {
            continue;
        }
        // An item's own keys sit two columns in (after `- `): lines at that indentation are its siblings, and
        // only lines indented further are inside its keys.
        let keys =
            if item && level + 2 >= indent { Vec::new() } else { keys_on_line(earlier, earlier.chars().count() + 1) };
        parents.extend(keys.into_iter().rev());
        if item {
            parents.push(format!("[{}]", items_before(&lines[..index], level)));
        }
        indent = level;
        if indent == 0 {
            break;
        }
    }
    parents.reverse();
    parents.extend(path);
    let mut joined = String::new();
    for part in parents.iter().filter(|p| !p.is_empty()) {
        if !joined.is_empty() && !part.starts_with('[') {
            joined.push('.');
        }
        joined.push_str(part);
    }
    (!joined.is_empty()).then_some(joined)
}

/// A line's indentation in characters, counting a list item's `- ` as indentation, and whether it is an item.
fn indentation(line: &str) -> (usize, bool) {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[spaces..];
    match rest.strip_prefix("- ").or_else(|| (rest == "-").then_some("")) {
        Some(_) => (spaces, true),
        None => (spaces, false),
    }
}

/// How many list items at `indent` come after the last line indented less than `indent` in `lines`.
fn items_before(lines: &[&str], indent: usize) -> usize {
    let mut count = 0;
    for line in lines.iter().rev() {
        let (level, item) = indentation(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if level < indent {
            break;
        }
        if level == indent && item {
            count += 1;
        }
    }
    count
}

/// The keys enclosing 1-based `column` of one line: those of the flow mappings open there, then the last key
/// before it (or the key starting at it).
fn keys_on_line(line: &str, column: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut end = column.saturating_sub(1).min(chars.len());
    while end < chars.len() && is_key_char(chars[end]) {
        end += 1;
    }
    let (mut open, mut current): (Vec<Option<String>>, Option<String>) = (Vec::new(), None);
    let (mut i, mut quote) = (0, None);
    while i < end {
        let c = chars[i];
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if i == 0 || chars[i - 1] == ' ' => break,
            (None, '{' | '[') => open.push(current.take()),
            (None, '}' | ']') => current = open.pop().flatten(),
            (None, _) if is_key_char(c) && (i == 0 || !is_key_char(chars[i - 1])) => {
                let start = i;
                while i < chars.len() && is_key_char(chars[i]) {
                    i += 1;
                }
                if chars.get(i) == Some(&':') && chars.get(i + 1).is_none_or(|n| *n == ' ') {
                    current = Some(chars[start..i].iter().collect());
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    open.into_iter().flatten().chain(current).collect()
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_path_follows_indentation_list_items_and_flow_mappings() {
        let text = "name: t\ndata:\n  - { path: a.csv }\n  - { path: b.csv, format: bk }\nexchange:\n  instruments:\n    BTCUSDT: { base: BTC, tick_size: 1e400 }\n";
        assert_eq!(key_path(text, 4, 28).as_deref(), Some("data[1].format"));
        assert_eq!(key_path(text, 7, 38).as_deref(), Some("exchange.instruments.BTCUSDT.tick_size"));
        assert_eq!(key_path(text, 1, 7).as_deref(), Some("name"));
        assert_eq!(key_path(text, 6, 3).as_deref(), Some("exchange.instruments"), "at the key itself");
        assert_eq!(key_path(text, 99, 1), None);
        let block = "data:\n  - path: a.csv\n    format: bk\n  - path: b.csv\n    format:\n      kind: x\n";
        assert_eq!(key_path(block, 3, 13).as_deref(), Some("data[0].format"), "a sibling of the item's first key");
        assert_eq!(key_path(block, 2, 11).as_deref(), Some("data[0].path"));
        assert_eq!(key_path(block, 6, 13).as_deref(), Some("data[1].format.kind"));
    }

    #[test]
    fn an_error_is_one_line_naming_the_key_in_plain_words() {
        let text = "portfolio:\n  quote: USDT\n  starting_cash: abc\n";
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Portfolio {
            quote: String,
            starting_cash: rust_decimal::Decimal,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct File {
            portfolio: Portfolio,
        }
        let error = serde_saphyr::from_str::<File>(text).expect_err("not a number");
        let line = yaml_error_line(&error, text);
        assert!(line.starts_with("portfolio.starting_cash: \"abc\" is not a decimal number (line 3"), "{line}");
        assert!(!line.contains("fixed-point") && !line.contains('\n'), "{line}");
    }
}
