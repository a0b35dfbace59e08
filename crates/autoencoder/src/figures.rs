//! The lab's figures: reconstructions of test digits and the t-SNE views of
//! pixels and codes (with their 5-NN accuracy).

use std::time::Instant;

use labkit::RunDir;
use ndarray::{Array2, Axis};
use plot::{image_grid, scatter_classes, ImageMap};
use serde::Serialize;

use crate::config::{LabConfig, Variant};
use crate::train::Trainer;
use crate::{views, AeError};

/// One t-SNE view.
#[derive(Debug, Clone, Serialize)]
pub struct TsneReport {
    pub space: String,
    pub points: usize,
    pub seconds: f64,
    /// 5-NN accuracy inside the 2-D map, 5-fold cross-validated.
    pub knn5_cv_accuracy: f64,
    pub plot: String,
}

/// Originals (top row) over reconstructions (bottom row): the first test
/// image of each digit.
pub fn reconstructions(
    cfg: &LabConfig,
    dir: &RunDir,
    t: &Trainer,
    images: &Array2<f32>,
    labels: &[usize],
    variant: Variant,
) -> Result<(), AeError> {
    let picks: Vec<usize> = (0..10)
        .filter_map(|d| labels.iter().position(|&l| l == d))
        .collect();
    let originals = images.select(Axis(0), &picks);
    let x = torch_util::to_tensor_f32(originals.view(), cfg.device);
    let xhat = tch::no_grad(|| t.model.forward(&x).1.clamp(0.0, 1.0));
    let xhat = torch_util::to_array2(&xhat.to_kind(tch::Kind::Double))?;
    let mut rows: Vec<Vec<f32>> = originals.rows().into_iter().map(|r| r.to_vec()).collect();
    rows.extend(
        xhat.rows()
            .into_iter()
            .map(|r| r.iter().map(|&v| v as f32).collect()),
    );
    let mut captions: Vec<String> = picks
        .iter()
        .map(|&i| format!("digit {}", labels[i]))
        .collect();
    captions.extend((0..picks.len()).map(|_| "rebuilt".to_string()));
    image_grid(
        &dir.path(&format!(
            "reconstructions_{}.{}",
            variant.name(),
            cfg.format.ext()
        )),
        &format!(
            "test digits (top) and their {} reconstructions (bottom)",
            variant.name()
        ),
        &rows,
        (28, 28),
        &captions,
        picks.len(),
        ImageMap::Gray,
    )?;
    Ok(())
}

/// The course's first figure: one training image (the first), with its digit.
pub fn training_image(
    cfg: &LabConfig,
    dir: &RunDir,
    images: &Array2<f32>,
    labels: &[usize],
) -> Result<(), AeError> {
    let (Some(row), Some(&label)) = (images.rows().into_iter().next(), labels.first()) else {
        return Ok(());
    };
    image_grid(
        &dir.path(&format!("training_image.{}", cfg.format.ext())),
        "the first training image",
        &[row.to_vec()],
        (28, 28),
        &[format!("digit {label}")],
        1,
        ImageMap::Gray,
    )?;
    Ok(())
}

/// t-SNE of every `every`-th training image: pixels and each variant's codes.
pub fn tsne_views(
    cfg: &LabConfig,
    dir: &RunDir,
    pixels: &Array2<f32>,
    labels: &[usize],
    codes: &[(Variant, Array2<f32>)],
) -> Result<Vec<TsneReport>, AeError> {
    let picks: Vec<usize> = (0..labels.len()).step_by(cfg.tsne.every).collect();
    let sub_labels: Vec<usize> = picks.iter().map(|&i| labels[i]).collect();
    let mut spaces = vec![("pixels".to_string(), pixels.select(Axis(0), &picks))];
    for (v, z) in codes {
        spaces.push((format!("{} codes", v.name()), z.select(Axis(0), &picks)));
    }
    let seed = cfg.seeds[0];
    let mut out = Vec::new();
    let mut maps: Vec<(String, Array2<f64>)> = Vec::new();
    for (space, x) in spaces {
        let t0 = Instant::now();
        let emb = views::tsne(
            x.view(),
            cfg.tsne.perplexity,
            cfg.tsne.max_iter,
            seed,
            cfg.device,
        )?;
        let seconds = t0.elapsed().as_secs_f64();
        let acc = views::knn_cv_accuracy(emb.view(), &sub_labels, 5, 5, seed)?;
        let plot = format!("tsne_{}.{}", space.replace(' ', "_"), cfg.format.ext());
        scatter_classes(
            &dir.path(&plot),
            &format!(
                "t-SNE of {} ({} training images), 5-NN accuracy {acc:.3}",
                space,
                picks.len()
            ),
            emb.view(),
            &sub_labels,
        )?;
        maps.push((space.clone(), emb));
        out.push(TsneReport {
            space,
            points: picks.len(),
            seconds,
            knn5_cv_accuracy: acc,
            plot,
        });
    }
    // The course's figure: pixels and codes side by side, alpha 0.1.
    if maps.len() >= 2 {
        let titles: Vec<String> = maps
            .iter()
            .take(2)
            .map(|(s, _)| format!("t-SNE of {s} (every {}th training image)", cfg.tsne.every))
            .collect();
        let panels: Vec<(&str, ndarray::ArrayView2<f64>, &[usize])> = maps
            .iter()
            .take(2)
            .zip(&titles)
            .map(|((_, e), t)| (t.as_str(), e.view(), sub_labels.as_slice()))
            .collect();
        let file = format!("tsne_pixels_vs_codes.{}", cfg.format.ext());
        plot::scatter_side_by_side(&dir.path(&file), &panels, 0.1)?;
    }
    Ok(out)
}
