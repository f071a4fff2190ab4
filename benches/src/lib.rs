//! Benchmarks for ucas live in `benches/`.
