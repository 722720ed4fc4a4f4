//! The rule expression language: a hand-written lexer and a Pratt parser from text to an [`Expr`] tree, with errors
//! that name the column. `$name` parameters are replaced by their values here, so the tree holds only numbers.
//!
//! Grammar, loosest first: `or`, `and`, `not`, comparisons (`< <= > >= == !=`, not chained), `+ -`, `* /`, unary
//! `-`, then primaries: numbers, `$param`, `name`, `name.field`, `name[lag]` (`lag` a whole number or `$param`),
//! `function(args)` and parentheses.

use rust_decimal::Decimal;

/// A parse error: the 1-based column and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ParseError {
    /// Column (1-based, in characters) of the offending token.
    pub column: usize,
    /// What was expected or found.
    pub message: String,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// An expression tree; every node keeps its column for the compiler's errors.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    /// A number (a literal or a parameter's value).
    Number(Decimal),
    /// A price column, indicator or position value, `bars` ago, perhaps one of its fields.
    Name { name: String, field: Option<String>, lag: usize, column: usize },
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>, usize),
    /// `a op b`.
    Binary { op: BinOp, left: Box<Expr>, right: Box<Expr>, column: usize },
    /// `function(args)`.
    Call { function: String, args: Vec<Expr>, column: usize },
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(Decimal),
    Param(String),
    Ident(String),
    Op(BinOp),
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    End,
}

/// Parses `text`; `param` gives the value of a `$name`.
///
/// # Errors
/// A [`ParseError`] at the column of the first token that does not fit.
pub(super) fn parse(text: &str, param: &dyn Fn(&str) -> Option<Decimal>) -> Result<Expr, ParseError> {
    let tokens = lex(text)?;
    let mut parser = Parser { text, tokens, at: 0, param };
    let expr = parser.expr(0)?;
    match parser.peek() {
        Token::End => Ok(expr),
        _ => Err(parser.expected("an operator or the end")),
    }
}

/// Splits `text` into tokens with their columns.
fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let word = |start: usize| {
            let mut end = start;
            while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            (chars[start..end].iter().collect::<String>(), end)
        };
        let (token, next) = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '0'..='9' => {
                let mut end = i;
                while end < chars.len() && (chars[end].is_ascii_digit() || chars[end] == '.') {
                    end += 1;
                }
                let digits: String = chars[i..end].iter().collect();
                let value = digits
                    .parse::<Decimal>()
                    .map_err(|_| ParseError { column, message: format!("'{digits}' is not a number") })?;
                (Token::Number(value), end)
            }
            '$' => {
                let (name, end) = word(i + 1);
                if name.is_empty() {
                    return Err(ParseError { column, message: "expected a parameter name after '$'".into() });
                }
                (Token::Param(name), end)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let (name, end) = word(i);
                let token = match name.as_str() {
                    "and" => Token::Op(BinOp::And),
                    "or" => Token::Op(BinOp::Or),
                    "not" => Token::Not,
                    _ => Token::Ident(name),
                };
                (token, end)
            }
            _ => {
                let two = chars.get(i + 1) == Some(&'=');
                match (c, two) {
                    ('<', true) => (Token::Op(BinOp::Le), i + 2),
                    ('>', true) => (Token::Op(BinOp::Ge), i + 2),
                    ('=', true) => (Token::Op(BinOp::Eq), i + 2),
                    ('!', true) => (Token::Op(BinOp::Ne), i + 2),
                    ('<', false) => (Token::Op(BinOp::Lt), i + 1),
                    ('>', false) => (Token::Op(BinOp::Gt), i + 1),
                    ('+', _) => (Token::Op(BinOp::Add), i + 1),
                    ('-', _) => (Token::Op(BinOp::Sub), i + 1),
                    ('*', _) => (Token::Op(BinOp::Mul), i + 1),
                    ('/', _) => (Token::Op(BinOp::Div), i + 1),
                    ('(', _) => (Token::LParen, i + 1),
                    (')', _) => (Token::RParen, i + 1),
                    ('[', _) => (Token::LBracket, i + 1),
                    (']', _) => (Token::RBracket, i + 1),
                    (',', _) => (Token::Comma, i + 1),
                    ('.', _) => (Token::Dot, i + 1),
                    _ => return Err(ParseError { column, message: format!("unexpected character '{c}'") }),
                }
            }
        };
        tokens.push((token, column));
        i = next;
    }
    tokens.push((Token::End, chars.len() + 1));
    Ok(tokens)
}

/// How tightly an infix operator binds (higher binds tighter).
fn binding(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 4,
        BinOp::Add | BinOp::Sub => 5,
        BinOp::Mul | BinOp::Div => 6,
    }
}

/// `not` binds looser than comparisons and tighter than `and`; unary minus tighter than `*`.
const NOT_BINDING: u8 = 3;
const NEG_BINDING: u8 = 7;
const COMPARISON: u8 = 4;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    at: usize,
    param: &'a dyn Fn(&str) -> Option<Decimal>,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)].0
    }

    fn column(&self) -> usize {
        self.tokens[self.at.min(self.tokens.len() - 1)].1
    }

    fn next(&mut self) -> (Token, usize) {
        let token = self.tokens[self.at.min(self.tokens.len() - 1)].clone();
        self.at += 1;
        token
    }

    /// "expected X after 'text so far'", at the current token.
    fn expected(&self, what: &str) -> ParseError {
        let column = self.column();
        let before: String = self.text.chars().take(column - 1).collect();
        let message = match before.trim_end() {
            "" => format!("expected {what}"),
            before => format!("expected {what} after '{before}'"),
        };
        ParseError { column, message }
    }

    fn expr(&mut self, min: u8) -> Result<Expr, ParseError> {
        let mut left = self.prefix()?;
        while let Token::Op(op) = *self.peek() {
            let power = binding(op);
            if power <= min {
                break;
            }
            let (_, column) = self.next();
            // comparisons do not chain: the right side binds one tighter and another comparison after it is refused
            let right = self.expr(power)?;
            if power == COMPARISON && matches!(self.peek(), Token::Op(next) if binding(*next) == COMPARISON) {
                return Err(ParseError {
                    column: self.column(),
                    message: "comparisons do not chain; join them with 'and'".into(),
                });
            }
            left = Expr::Binary { op, left: Box::new(left), right: Box::new(right), column };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let (token, column) = self.next();
        match token {
            Token::Number(value) => Ok(Expr::Number(value)),
            Token::Param(name) => self.param_value(&name, column).map(Expr::Number),
            Token::Op(BinOp::Sub) => Ok(Expr::Neg(Box::new(self.expr(NEG_BINDING - 1)?))),
            Token::Not => Ok(Expr::Not(Box::new(self.expr(NOT_BINDING - 1)?), column)),
            Token::LParen => {
                let inner = self.expr(0)?;
                self.close(Token::RParen, "')'")?;
                Ok(inner)
            }
            Token::Ident(name) => self.name(name, column),
            _ => {
                self.at -= 1;
                Err(self.expected("a number, a name or '('"))
            }
        }
    }

    fn param_value(&self, name: &str, column: usize) -> Result<Decimal, ParseError> {
        (self.param)(name).ok_or_else(|| ParseError {
            column,
            message: format!("'${name}' is not a parameter (name it with a number at strategy.params.{name})"),
        })
    }

    fn close(&mut self, token: Token, what: &str) -> Result<(), ParseError> {
        if *self.peek() == token {
            self.at += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// A name, a field of it, a lag or a call.
    fn name(&mut self, name: String, column: usize) -> Result<Expr, ParseError> {
        if *self.peek() == Token::LParen {
            self.at += 1;
            let mut args = Vec::new();
            if *self.peek() != Token::RParen {
                loop {
                    args.push(self.expr(0)?);
                    if *self.peek() != Token::Comma {
                        break;
                    }
                    self.at += 1;
                }
            }
            self.close(Token::RParen, "',' or ')'")?;
            return Ok(Expr::Call { function: name, args, column });
        }
        let mut field = None;
        if *self.peek() == Token::Dot {
            self.at += 1;
            match self.next() {
                (Token::Ident(f), _) => field = Some(f),
                _ => {
                    self.at -= 1;
                    return Err(self.expected("a field name"));
                }
            }
        }
        let mut lag = 0;
        if *self.peek() == Token::LBracket {
            self.at += 1;
            let (token, at) = self.next();
            let value = match token {
                Token::Number(value) => value,
                Token::Param(p) => self.param_value(&p, at)?,
                _ => {
                    self.at -= 1;
                    return Err(self.expected("a number of bars"));
                }
            };
            lag = whole(value).filter(|&lag| lag <= MAX_LAG).ok_or_else(|| ParseError {
                column: at,
                message: format!("a lag is a whole number of bars up to {MAX_LAG}, got {value}"),
            })?;
            self.close(Token::RBracket, "']'")?;
        }
        Ok(Expr::Name { name, field, lag, column })
    }
}

/// The longest lag an expression may read.
pub(super) const MAX_LAG: usize = 10_000;

/// `value` as a `usize` when it is a whole non-negative number.
pub(super) fn whole(value: Decimal) -> Option<usize> {
    use rust_decimal::prelude::ToPrimitive;
    if value.fract().is_zero() && !value.is_sign_negative() { value.to_usize() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn no_params(_: &str) -> Option<Decimal> {
        None
    }

    fn error(text: &str) -> ParseError {
        parse(text, &no_params).expect_err(text)
    }

    #[test]
    fn precedence_puts_arithmetic_inside_comparisons_inside_logic() {
        let got = parse("not a + 1 * 2 > b or c < 3", &no_params).unwrap();
        let Expr::Binary { op: BinOp::Or, left, .. } = got else { panic!("or at the top: {got:?}") };
        let Expr::Not(inner, 1) = *left else { panic!("not over the comparison") };
        let Expr::Binary { op: BinOp::Gt, left, .. } = *inner else { panic!("> inside not") };
        let Expr::Binary { op: BinOp::Add, right, .. } = *left else { panic!("+ on the left of >") };
        assert!(matches!(*right, Expr::Binary { op: BinOp::Mul, .. }));
    }

    #[test]
    fn lags_fields_calls_and_parameters() {
        let params = |name: &str| (name == "n").then_some(dec!(2));
        let got = parse("crosses_above(macd.line, close[$n]) and -x[1] < $n", &params).unwrap();
        let Expr::Binary { op: BinOp::And, left, right, .. } = got else { panic!() };
        let Expr::Call { function, args, column: 1 } = *left else { panic!() };
        assert_eq!(function, "crosses_above");
        assert_eq!(args[0], Expr::Name { name: "macd".into(), field: Some("line".into()), lag: 0, column: 15 });
        assert_eq!(args[1], Expr::Name { name: "close".into(), field: None, lag: 2, column: 26 });
        let Expr::Binary { op: BinOp::Lt, right: value, .. } = *right else { panic!() };
        assert_eq!(*value, Expr::Number(dec!(2)));
    }

    #[test]
    fn errors_name_the_column_and_what_was_expected() {
        let e = error("close > close[1");
        assert_eq!(e, ParseError { column: 16, message: "expected ']' after 'close > close[1'".into() });
        let e = error("rsi < 30 and (rsi > 1");
        assert_eq!((e.column, e.message.as_str()), (22, "expected ')' after 'rsi < 30 and (rsi > 1'"));
        assert_eq!(error("rsi <").message, "expected a number, a name or '(' after 'rsi <'");
        assert_eq!(error("rsi < 30 30").column, 10);
        assert_eq!(error("a < b < c").message, "comparisons do not chain; join them with 'and'");
        assert_eq!((error("a # b").column, error("a # b").message.as_str()), (3, "unexpected character '#'"));
        assert_eq!(error("$slow > 1").column, 1);
        assert!(error("close[1.5]").message.contains("whole number"));
        assert_eq!(error("1.2.3 > x").message, "'1.2.3' is not a number");
    }
}
