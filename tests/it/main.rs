//! Integration tests: the real server over HTTP.

mod api;
mod auth;
mod cli;
mod events;
mod files;
mod pages;
mod support;
