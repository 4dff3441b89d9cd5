//! What a person sees in a terminal: the progress bar drawn in a real pseudo-terminal, read
//! back through a terminal emulator (vt100), and colour only where it belongs.

use crate::common::Fake;
use minimo_fake::CustomFieldSeed;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{Winsize, openpty};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 120;

/// What the terminal showed.
struct Screen {
    /// Every byte written to the terminal.
    bytes: Vec<u8>,
    /// The screen's text after each read.
    screens: Vec<String>,
    /// The exit status.
    code: i32,
}

/// Runs `cmd` with stdin, stdout and stderr on a fresh pseudo-terminal until it exits.
fn in_terminal(mut cmd: Command) -> Screen {
    let size = Winsize {
        ws_row: ROWS,
        ws_col: COLS,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("a pseudo-terminal");
    // Tests run in parallel: a child another test spawns must not inherit this terminal,
    // or reading it would not end when our child does.
    for fd in [&pty.master, &pty.slave] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("close-on-exec");
    }
    cmd.env("TERM", "xterm-256color")
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave));
    let mut child = cmd.spawn().expect("minimo runs");
    drop(cmd); // the last copies of the terminal's slave side in this process
    let mut master = std::fs::File::from(pty.master);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends with EIO once the child (the last holder of the slave side) has exited.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let nonzero = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(nonzero(ROWS), nonzero(COLS), 0);
    let mut screen = Screen {
        bytes: Vec::new(),
        screens: Vec::new(),
        code: -1,
    };
    // The channel closes when the child has exited; a child that hangs is killed (and the
    // test fails on its exit status) rather than hanging the suite.
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Ok(chunk) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        parser.process(&chunk);
        screen.bytes.extend_from_slice(&chunk);
        screen.screens.push(parser.screen().contents());
    }
    if child.try_wait().ok().flatten().is_none() && Instant::now() >= deadline {
        let _ = child.kill();
    }
    screen.code = child.wait().expect("minimo ends").code().unwrap_or(-1);
    screen
}

/// Whether `text` holds an SGR colour (foreground 30-37 or 90-97, any 38;... form).
fn has_colour(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices("\x1b[").any(|(at, _)| {
        let rest = &text[at + 2..];
        let params: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        rest[params.len()..].starts_with('m')
            && params
                .split(';')
                .any(|p| matches!(p.parse::<u32>(), Ok(30..=38 | 90..=97)))
    })
}

#[test]
fn the_progress_bar_is_drawn_in_a_terminal_and_the_summary_follows() {
    let fake = Fake::start();
    let rows: String = (0..40).map(|i| format!("row{i}@example.com\n")).collect();
    fake.write("rows.csv", &format!("email\n{rows}"));
    // 40 rows at 40 requests/s: about a second, time for the bar to be drawn mid-way.
    let screen = in_terminal(fake.minimo(&["sync", "rows.csv", "--rate", "40"]));
    assert_eq!(
        screen.code,
        0,
        "{}",
        screen.screens.last().cloned().unwrap_or_default()
    );

    let mid_run = screen.screens.iter().find(|s| {
        s.lines().any(|l| {
            l.contains("] ")
                && l.contains("/40 rows · 0 failed · ")
                && l.contains(" rows/s")
                && !l.contains("40/40")
                && !l.contains("] 0/40")
        })
    });
    let mid_run = mid_run.unwrap_or_else(|| panic!("no bar mid-run in {:#?}", screen.screens));
    assert!(mid_run.contains(" · ETA "), "{mid_run}");
    assert!(mid_run.contains('['), "{mid_run}");

    let last = screen.screens.last().unwrap();
    assert!(last.contains("40/40 rows"), "{last}");
    assert!(last.contains("synced rows.csv: 40 rows in "), "{last}");
    assert!(last.contains("  succeeded      40\n"), "{last}");
    assert!(
        has_colour(&screen.bytes),
        "a terminal without NO_COLOR gets a coloured bar"
    );
}

#[test]
fn no_color_and_a_redirected_stderr_draw_no_colour_and_no_bar() {
    let fake = Fake::with(|b| b.system_fields(true));
    fake.define(CustomFieldSeed::new("SEATS", "Seats", "number"));
    fake.write("rows.csv", "email\na@example.com\nbad@\n");

    let mut cmd = fake.minimo(&["sync", "rows.csv"]);
    cmd.env("NO_COLOR", "1");
    let plain = in_terminal(cmd);
    assert_eq!(plain.code, 8);
    assert!(
        !has_colour(&plain.bytes),
        "{:?}",
        String::from_utf8_lossy(&plain.bytes)
    );
    assert!(
        plain
            .screens
            .last()
            .unwrap()
            .contains("invalid: rows.csv:3:1: email has nothing after the `@`")
    );

    let coloured = in_terminal(fake.minimo(&["custom-fields", "list"]));
    assert!(
        String::from_utf8_lossy(&coloured.bytes).contains("\x1b[1mKEY"),
        "bold header on a terminal"
    );
    let mut cmd = fake.minimo(&["custom-fields", "list"]);
    cmd.env("NO_COLOR", "1");
    let plain = in_terminal(cmd);
    assert!(!String::from_utf8_lossy(&plain.bytes).contains("\x1b[1m"));

    // Not a terminal: no bar at all, only the summary.
    let redirected = crate::common::run(&mut fake.minimo(&["sync", "rows.csv"]));
    assert!(
        !redirected.stderr.contains("rows/s"),
        "{}",
        redirected.stderr
    );
    assert!(!redirected.stderr.contains('\x1b'), "{}", redirected.stderr);
}
