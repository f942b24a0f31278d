//! # aspnet — ASP.NET requests and sessions in a dump
//!
//! Purpose (not built yet; see ARCHITECTURE.md): recognise System.Web (and
//! ASP.NET Core) objects on the GC heap by type and field names, and answer
//! `requests`, `request` and `session`, including which request holds the
//! memory of a leaking type. It sits on `clr-heap` and `clr-stack`.
//!
//! This crate deliberately holds no code yet: nothing here pretends to work.
