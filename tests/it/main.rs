//! Integration tests: the real server over HTTP, and the store on its own.

mod api;
mod auth;
mod big_files;
mod cli;
mod events;
mod files;
mod pages;
mod process;
mod store;
mod support;
