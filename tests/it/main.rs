//! Integration tests: the real server over HTTP.

mod admin;
mod api;
mod auth;
mod big_files;
mod cli;
mod events;
mod files;
mod mail;
mod pages;
mod process;
mod support;
