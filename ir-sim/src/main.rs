//! `ir-sim`: starts the simulator and prints its URLs until Ctrl-C.

fn main() {}
