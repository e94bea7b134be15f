"""Process rules as code: pure, deterministic, one obvious place to change each rule."""
