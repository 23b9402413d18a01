//! Integration tests: the real server over HTTP, and the store on its own.

mod admin;
mod admin_guard;
mod api;
mod auth;
mod big_files;
mod cache;
mod cli;
mod cluster;
mod disk_full;
mod events;
mod faults;
mod files;
mod headers;
mod hostile;
mod mail;
mod pages;
mod password_policy;
mod process;
mod render_props;
mod revocation;
mod s3;
mod storage;
mod store;
mod store_more;
mod support;
mod throttle;
