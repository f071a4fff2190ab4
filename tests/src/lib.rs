//! Cross-crate and end-to-end tests for ucas live in `tests/`.
