//! Facts a benchmark reports besides its timings: sizes, the errno each
//! request ended with, operations that could not be measured. Each note is
//! printed, and also written to `$UCAS_BENCH_NOTES/<name>.txt` when that
//! variable names a directory (as `benches/report.sh` sets it), one
//! `key value` pair per line, for the report generator.

use std::io;
use std::path::PathBuf;

/// The variable naming the notes directory.
pub const NOTES_ENV: &str = "UCAS_BENCH_NOTES";

/// Records note `name` with `pairs`.
///
/// # Errors
/// When the notes directory is set but the file cannot be written.
pub fn write(name: &str, pairs: &[(String, String)]) -> io::Result<()> {
    let mut text = String::new();
    for (k, v) in pairs {
        println!("note {name}: {k} = {v}");
        text.push_str(k);
        text.push(' ');
        text.push_str(v);
        text.push('\n');
    }
    if let Some(dir) = std::env::var_os(NOTES_ENV).map(PathBuf::from) {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.txt"));
        std::fs::write(&path, text).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write the benchmark note {}: {e}", path.display()),
            )
        })?;
    }
    Ok(())
}
