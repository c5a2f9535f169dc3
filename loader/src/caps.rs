//! Capabilities and lockdown: why the kernel may refuse, in words a person can act on.
