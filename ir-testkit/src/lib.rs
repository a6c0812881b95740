//! Testing aids for `ir`: conformance suites every port implementation runs, fixtures and
//! scripted fakes.
