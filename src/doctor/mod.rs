//! `dbps doctor`: audits a project or any repository for shared-database violations.
