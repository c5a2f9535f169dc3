//! Attaching loaded programs: links by program type, with fallbacks.
