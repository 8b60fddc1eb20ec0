//! What the three steps read: the walked files by path (plus the few files outside the
//! walk that compose or the manifest name explicitly, such as gitignored `env_file`
//! targets), and the deployment models built once from them: which directories build
//! database or tool images, the effective compose projects, the Kubernetes objects.
//!
//! Everything here is read-only once built; the steps never change their input.

use std::collections::HashMap;
use std::path::Path;

use super::ManifestInfo;
use super::compose::{self, Project};
use super::image::ImageDirs;
use super::kube::Cluster;
use crate::doctor::model::Entry;
use crate::doctor::readers::compose::ComposeFile;
use crate::doctor::readers::{self, Parsed, envfile};
use crate::doctor::walk::{self, FileOut};

/// The walked files, by path.
pub(super) struct Files<'a> {
    /// The audited directory.
    pub root: &'a Path,
    /// Every walked file, in walk order.
    pub all: &'a [FileOut],
    by_rel: HashMap<&'a str, &'a Parsed>,
}

impl<'a> Files<'a> {
    /// Index the walked files.
    pub fn new(root: &'a Path, all: &'a [FileOut]) -> Self {
        let by_rel = all.iter().map(|f| (f.rel.as_str(), &f.parsed)).collect();
        Self { root, all, by_rel }
    }

    /// Whether the walk read `rel` (so a source for it is gathered anyway).
    pub fn is_walked(&self, rel: &str) -> bool {
        self.by_rel.contains_key(rel)
    }

    /// The text of a file outside the walk (a gitignored `.env`, a secret file).
    pub fn read_text(&self, rel: &str) -> Option<String> {
        walk::read_inside(self.root, rel)
    }

    /// An env file's entries: as walked, or read now when the walk skipped it; `None`
    /// when it is missing or was read as something else.
    pub fn read_entries(&self, rel: &str) -> Option<Vec<Entry>> {
        match self.by_rel.get(rel) {
            Some(Parsed::Env(e)) => Some(e.clone()),
            Some(_) => None,
            None => self.read_text(rel).map(|t| envfile::parse_env(&t)),
        }
    }

    /// A compose file an `extends:` names, which need not be a compose file by name.
    pub fn load_compose(&self, rel: &str) -> Option<ComposeFile> {
        match self.by_rel.get(rel) {
            Some(Parsed::Compose(c)) => Some(c.clone()),
            _ => self
                .read_text(rel)
                .and_then(|t| readers::compose::parse(&t).ok()),
        }
    }

    /// Every walked compose file, in walk order.
    pub fn compose_files(&self) -> Vec<(&'a str, &'a ComposeFile)> {
        self.all
            .iter()
            .filter_map(|f| match &f.parsed {
                Parsed::Compose(c) => Some((f.rel.as_str(), c)),
                _ => None,
            })
            .collect()
    }
}

/// Everything the graph is built from.
pub(super) struct Input<'a> {
    /// The walked files.
    pub files: Files<'a>,
    /// The dbps manifest, in project mode.
    pub manifest: Option<&'a ManifestInfo>,
    /// Directories whose Dockerfiles build a database or a tool.
    pub dirs: ImageDirs,
    /// The effective compose projects, one per directory holding compose files.
    pub compose: Vec<Project<'a>>,
    /// The Kubernetes objects.
    pub kube: Cluster<'a>,
}

impl<'a> Input<'a> {
    /// Index the files and build the deployment models.
    pub fn new(root: &'a Path, all: &'a [FileOut], manifest: Option<&'a ManifestInfo>) -> Self {
        let files = Files::new(root, all);
        let dirs = ImageDirs::classify(all);
        let compose = compose::projects(&files, &dirs);
        let kube = Cluster::new(all);
        Self {
            files,
            manifest,
            dirs,
            compose,
            kube,
        }
    }
}
