//! Finding a key's file along a symbol path, as WinDbg's symsrv does:
//! element by element, caches before their store, the first verified file
//! wins, and what a store or directory gives is copied into the caches in
//! front of it. The network is touched only with [`Access::Fetch`] and only
//! for servers the path names.

use crate::cache::{self, LocalEntry};
use crate::error::{Error, Result};
#[cfg(feature = "fetch")]
use crate::fileptr::{self, FilePtr};
#[cfg(feature = "fetch")]
use crate::http::{Fetched, Http, HttpOptions, url_join};
use crate::key::Key;
use crate::path::{Element, Location, SymbolPath, default_cache};
use crate::verify::verify;
use std::path::{Path, PathBuf};

/// Whether servers may be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Local directories, stores and caches only.
    Offline,
    /// Also download from the servers the path names.
    Fetch,
}

/// A file found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where it is now (in a cache when it came from a store or server).
    pub path: PathBuf,
    /// Where it came from (`cache DIR`, `directory DIR`, `store DIR`, `server URL`).
    pub source: String,
}

/// One place looked at, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The place (directory, store, URL).
    pub place: String,
    /// `absent`, or what went wrong (mismatch, download error, …).
    pub outcome: String,
}

/// The answer to one lookup.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The key looked up.
    pub key: Key,
    /// The file, when found.
    pub found: Option<Found>,
    /// Every place looked at before the answer.
    pub attempts: Vec<Attempt>,
    /// Servers that were not asked because access is offline.
    pub not_asked: Vec<String>,
}

/// Finds symbol files along a path.
///
/// ```no_run
/// use symbols::{Key, SymbolPath, store::{Access, Locator}};
/// let path = SymbolPath::parse("srv*/tmp/symcache*https://msdl.microsoft.com/download/symbols")?;
/// let loc = Locator::new(path, Access::Fetch);
/// let key = Key::pdb("coreclr.pdb", [0; 16], 1)?;
/// match loc.locate(&key).found {
///     Some(f) => println!("{} (from {})", f.path.display(), f.source),
///     None => println!("not found"),
/// }
/// # Ok::<(), symbols::Error>(())
/// ```
pub struct Locator {
    path: SymbolPath,
    access: Access,
    #[cfg(feature = "fetch")]
    http_options: HttpOptions,
    #[cfg(feature = "fetch")]
    http: std::sync::OnceLock<Http>,
    default_cache: Option<PathBuf>,
}

impl Locator {
    /// A locator over `path`.
    pub fn new(path: SymbolPath, access: Access) -> Locator {
        Locator {
            path,
            access,
            #[cfg(feature = "fetch")]
            http_options: HttpOptions::default(),
            #[cfg(feature = "fetch")]
            http: std::sync::OnceLock::new(),
            default_cache: default_cache(),
        }
    }

    /// Replaces the download limits.
    #[cfg(feature = "fetch")]
    pub fn with_http_options(mut self, opts: HttpOptions) -> Locator {
        self.http_options = opts;
        self.http = std::sync::OnceLock::new();
        self
    }

    /// Replaces the default cache (for `srv*URL` and `cache*` without a directory).
    pub fn with_default_cache(mut self, dir: Option<PathBuf>) -> Locator {
        self.default_cache = dir;
        self
    }

    /// The symbol path.
    pub fn symbol_path(&self) -> &SymbolPath {
        &self.path
    }

    /// Whether servers may be contacted.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Looks `key` up along the path.
    pub fn locate(&self, key: &Key) -> Lookup {
        let mut run = Run {
            lookup: Lookup { key: key.clone(), found: None, attempts: Vec::new(), not_asked: Vec::new() },
        };
        let mut cache_dir: Option<PathBuf> = None;
        for el in &self.path.elements {
            let found = match el {
                Element::Cache(dir) => match self.cache_dir(dir) {
                    Ok(d) => {
                        let f = run.in_local(&d, key, None, "cache");
                        cache_dir = Some(d);
                        f
                    }
                    Err(e) => run.note("cache*", e.to_string()),
                },
                Element::Dir(d) => run.in_dir(d, key),
                Element::Store { caches, store } => self.in_store(&mut run, caches, store, key),
            };
            if let Some(mut f) = found {
                // `cache*DIR` keeps what the elements after it find.
                if let Some(c) = cache_dir.as_ref().filter(|c| !f.path.starts_with(c)) {
                    match cache::install(c, key, &f.path) {
                        Ok(p) => f.path = p,
                        Err(e) => {
                            run.note(&format!("cache {}", c.display()), e.to_string());
                        }
                    }
                }
                run.lookup.found = Some(f);
                break;
            }
        }
        run.lookup
    }

    fn cache_dir(&self, dir: &Option<PathBuf>) -> Result<PathBuf> {
        match dir {
            Some(d) => Ok(d.clone()),
            None => self.default_cache.clone().ok_or_else(|| {
                Error::NotFound(
                    "no default symbol cache (set CLRSCOPE_SYMBOL_CACHE or name one: srv*DIR*URL)".into(),
                )
            }),
        }
    }

    fn in_store(
        &self,
        run: &mut Run,
        caches: &[Option<PathBuf>],
        store: &Location,
        key: &Key,
    ) -> Option<Found> {
        let mut dirs = Vec::new();
        for c in caches {
            match self.cache_dir(c) {
                Ok(d) => dirs.push(d),
                Err(e) => return run.note("srv*", e.to_string()),
            }
        }
        for (i, d) in dirs.iter().enumerate() {
            if let Some(f) = run.in_local(d, key, None, "cache") {
                return Some(run.spread(&dirs[..i], key, f));
            }
        }
        let found = match store {
            Location::Local(root) => run.in_local(root, key, dirs.first().map(PathBuf::as_path), "store"),
            Location::Http(url) if self.access == Access::Offline => {
                run.lookup.not_asked.push(url.clone());
                None
            }
            #[cfg(not(feature = "fetch"))]
            Location::Http(url) => run.note(url, "this build has no HTTP support (feature `fetch`)".into()),
            #[cfg(feature = "fetch")]
            Location::Http(url) => match dirs.first().cloned().map_or_else(|| self.cache_dir(&None), Ok) {
                Ok(first) => {
                    let http = self.http.get_or_init(|| Http::new(self.http_options.clone()));
                    run.download(http, url, &first, key)
                }
                Err(e) => run.note(url, e.to_string()),
            },
        }?;
        Some(run.spread(&dirs, key, found))
    }
}

/// The state of one lookup.
struct Run {
    lookup: Lookup,
}

impl Run {
    fn note(&mut self, place: &str, outcome: String) -> Option<Found> {
        self.lookup.attempts.push(Attempt { place: place.to_string(), outcome });
        None
    }

    /// Copies a found file into the caches in front of where it was found.
    fn spread(&mut self, caches: &[PathBuf], key: &Key, mut found: Found) -> Found {
        for c in caches.iter().rev() {
            if found.path.starts_with(c) {
                continue;
            }
            match cache::install(c, key, &found.path) {
                Ok(p) => found.path = p,
                Err(e) => {
                    self.note(&format!("cache {}", c.display()), e.to_string());
                }
            }
        }
        found
    }

    fn accept(&mut self, key: &Key, path: PathBuf, source: String) -> Option<Found> {
        match verify(key, &path) {
            Ok(()) => Some(Found { path, source }),
            Err(e) => self.note(&source, e.to_string()),
        }
    }

    /// A plain directory: `DIR/name`, `DIR/ext/name`, `DIR/symbols/ext/name`,
    /// GDB's `DIR/.build-id/xx/rest.debug` for ELF debug files, and the store
    /// layout (a directory can be a store too).
    fn in_dir(&mut self, dir: &Path, key: &Key) -> Option<Found> {
        let name = key.file_name();
        let mut cands = Vec::new();
        match key {
            Key::ElfDebug { build_id } if build_id.len() > 1 => {
                let hex: String = build_id.iter().map(|b| format!("{b:02x}")).collect();
                cands.push(dir.join(".build-id").join(&hex[..2]).join(format!("{}.debug", &hex[2..])));
            }
            Key::ElfDebug { .. } => {}
            _ => {
                cands.push(dir.join(name));
                if let Some((_, ext)) = name.rsplit_once('.') {
                    cands.push(dir.join(ext).join(name));
                    cands.push(dir.join("symbols").join(ext).join(name));
                }
            }
        }
        let place = format!("directory {}", dir.display());
        for c in cands {
            if c.is_file() {
                if let Some(f) = self.accept(key, c, place.clone()) {
                    return Some(f);
                }
            }
        }
        if dir.join(name).is_dir() {
            return self.in_local(dir, key, None, "store");
        }
        self.note(&place, "absent".into())
    }

    /// A local store or cache; `expand_into` receives expanded compressed
    /// entries (a store is never written to).
    fn in_local(&mut self, root: &Path, key: &Key, expand_into: Option<&Path>, what: &str) -> Option<Found> {
        let place = format!("{what} {}", root.display());
        let entry = match cache::find_local(root, key) {
            Ok(e) => e,
            Err(e) => return self.note(&place, e.to_string()),
        };
        match entry {
            LocalEntry::File(p) | LocalEntry::Pointer(p) => {
                if !p.is_file() {
                    return self
                        .note(&place, format!("file.ptr points to {}, which is not a file", p.display()));
                }
                self.accept(key, p, place)
            }
            LocalEntry::Compressed(cab) => match expand_into {
                Some(dir) => match cache::install_compressed(dir, key, &cab) {
                    Ok(path) => Some(Found { path, source: place }),
                    Err(e) => self.note(&place, e.to_string()),
                },
                None => self.note(
                    &place,
                    format!("{} is compressed and there is no cache to expand it into", cab.display()),
                ),
            },
            LocalEntry::Message(m) => self.note(&place, format!("file.ptr: {m}")),
            LocalEntry::Absent => self.note(&place, "absent".into()),
        }
    }

    /// Downloads from `url` into the cache `cache_root`: the file, else its
    /// compressed variant, else what its `file.ptr` points to (another URL;
    /// a server may not make us read local paths).
    #[cfg(feature = "fetch")]
    fn download(&mut self, http: &Http, url: &str, cache_root: &Path, key: &Key) -> Option<Found> {
        let place = format!("server {url}");
        let step = (|| -> Result<Option<PathBuf>> {
            let comps = key.components(false)?;
            let dest = cache::prepare(cache_root, key)?;
            let (name, index) = (comps[0].as_str(), comps[1].as_str());
            let tmp = cache::temp_beside(&dest, "download");
            if let Fetched::Bytes(_) = http.get_to(&url_join(url, &[name, index, name]), &tmp, name)? {
                return cache::commit(key, &tmp, &dest).map(Some);
            }
            if let Some(cname) = key.compressed_name() {
                let ctmp = cache::temp_beside(&dest, "cab");
                if let Fetched::Bytes(_) =
                    http.get_to(&url_join(url, &[name, index, &cname]), &ctmp, &cname)?
                {
                    let r = cache::install_compressed(cache_root, key, &ctmp);
                    let _ = std::fs::remove_file(&ctmp);
                    return r.map(Some);
                }
            }
            let ptr_url = url_join(url, &[name, index, "file.ptr"]);
            let ptmp = cache::temp_beside(&dest, "ptr");
            let ptr = match http.get_to(&ptr_url, &ptmp, "file.ptr")? {
                Fetched::Missing => return Ok(None),
                Fetched::Bytes(_) => {
                    let bytes = crate::read_bounded(&ptmp, fileptr::MAX_FILE_PTR);
                    let _ = std::fs::remove_file(&ptmp);
                    fileptr::parse(&bytes?, &ptr_url)?
                }
            };
            let target = match ptr {
                FilePtr::Message(m) => return Err(Error::FilePtr { origin: ptr_url, reason: m }),
                FilePtr::Path(t) if is_http(&t) => t,
                FilePtr::Path(t) => {
                    return Err(Error::FilePtr {
                        origin: ptr_url,
                        reason: format!(
                            "points to the local path {t:?}; refused: a server may not make clrscope read local files"
                        ),
                    });
                }
            };
            match http.get_to(&target, &tmp, name)? {
                Fetched::Bytes(_) => cache::commit(key, &tmp, &dest).map(Some),
                Fetched::Missing => Err(Error::FilePtr { origin: ptr_url, reason: format!("{target}: 404") }),
            }
        })();
        if !matches!(step, Ok(Some(_))) {
            remove_empty_entry_dirs(cache_root, key);
        }
        match step {
            Ok(Some(path)) => Some(Found { path, source: place }),
            Ok(None) => self.note(&place, "absent (404)".into()),
            Err(e) => self.note(&place, e.to_string()),
        }
    }
}

#[cfg(feature = "fetch")]
fn is_http(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

#[cfg(feature = "fetch")]
/// A failed download leaves no empty `name/INDEX/` behind (best effort:
/// `remove_dir` only removes empty directories).
fn remove_empty_entry_dirs(root: &Path, key: &Key) {
    if let Ok(p) = cache::entry_path(root, key, false) {
        if let Some(index_dir) = p.parent() {
            let _ = std::fs::remove_dir(index_dir);
            if let Some(name_dir) = index_dir.parent() {
                let _ = std::fs::remove_dir(name_dir);
            }
        }
    }
}
