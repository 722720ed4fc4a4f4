//! A command-line mistake reads like every other `ctb` error: one line saying what is wrong and how the command is
//! used, exit status 1; asking for help is not a mistake.

mod common;

use rstest::rstest;

#[rstest]
#[case::unknown_option(&["backtest", "--nope"], "error: unexpected argument '--nope' found", "ctb backtest --help")]
#[case::unknown_command(&["bogus"], "error: unrecognized subcommand 'bogus'", "ctb --help")]
#[case::no_command(&[], "error: a command is needed", "ctb --help")]
#[case::missing_value(&["backtest", "--out"], "error: a value is required for '--out <DIR>'", "ctb backtest --help")]
#[case::a_command_group_without_its_command(&["data"], "error: a command is needed", "usage: ctb data <COMMAND>; `ctb data --help`")]
#[case::a_value_not_among_the_choices(&["data", "fetch", "--source", "ftp"], "error: invalid value 'ftp'", "ctb data fetch --help")]
#[case::missing_required(&["data", "fetch"], "error: the following required arguments were not provided", "ctb data fetch --help")]
fn a_command_line_mistake_is_one_error_line_with_the_usage_and_exit_status_1(
    #[case] args: &[&str],
    #[case] what: &str,
    #[case] more: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_ctb")).args(args).current_dir(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with(what) && stderr.contains(more), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn help_goes_to_stdout_with_exit_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = common::ctb_with_env(dir.path(), &["backtest", "--help"], &[]);
    assert!(ok && stderr.is_empty(), "{stderr}");
    assert!(stdout.contains("Usage: ctb backtest"), "{stdout}");
}
