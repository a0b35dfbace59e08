//! The library end to end on tiny data, and its checks before any work.

use ndarray::Array2;
use param_embed::loss::{LossKind, Term};
use param_embed::model::{Head, Net};
use param_embed::phase::{self, Phase, TrainData};
use param_embed::routines::{self, Labelled, TsneSpec, UmapSpec};
use param_embed::sampling::Sampling;
use param_embed::EmbedError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tch::Device;

/// Two Gaussian blobs in 10-D (σ = 1, centres 8 apart), 60 points each.
fn blobs() -> (Array2<f32>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(7);
    let n = 120;
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let x = Array2::from_shape_fn((n, 10), |(i, j)| {
        let g: f32 = (0..12).map(|_| rng.gen::<f32>()).sum::<f32>() - 6.0;
        g + if j == 0 { 8.0 * labels[i] as f32 } else { 0.0 }
    });
    (x, labels)
}

/// Distance between the class centroids over the mean within-class spread.
fn separation(y: &Array2<f64>, labels: &[usize]) -> f64 {
    let mut c = [[0.0f64; 2]; 2];
    let mut cnt = [0.0f64; 2];
    for (r, &l) in y.rows().into_iter().zip(labels) {
        c[l][0] += r[0];
        c[l][1] += r[1];
        cnt[l] += 1.0;
    }
    for l in 0..2 {
        c[l][0] /= cnt[l];
        c[l][1] /= cnt[l];
    }
    let spread: f64 = y
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(r, &l)| ((r[0] - c[l][0]).powi(2) + (r[1] - c[l][1]).powi(2)).sqrt())
        .sum::<f64>()
        / y.nrows() as f64;
    ((c[0][0] - c[1][0]).powi(2) + (c[0][1] - c[1][1]).powi(2)).sqrt() / spread
}

#[test]
fn tiny_tsne_and_umap_separate_two_blobs() {
    let (x, labels) = blobs();
    let spec = TsneSpec {
        perplexity: 10.0,
        hidden: vec![16],
        init_epochs: 5,
        epochs: 40,
        batch_size: 60,
        ..TsneSpec::default()
    };
    let mut epochs = 0;
    let f = routines::parametric_tsne(x.view(), &spec, 1, Device::Cpu, &mut |_, _, _| epochs += 1)
        .expect("t-SNE");
    assert_eq!(epochs, 45);
    let y = f.net.apply(x.view(), Head::Embed).expect("apply");
    assert_eq!(y.dim(), (120, 2));
    let s = separation(&y, &labels);
    assert!(s > 3.0, "t-SNE separation {s}");

    let spec = UmapSpec {
        k: 10,
        hidden: vec![16],
        epochs: 20,
        edges_per_batch: 100,
        ..UmapSpec::default()
    };
    let f = routines::parametric_umap(x.view(), &spec, 1, Device::Cpu, &mut |_, _, _| {})
        .expect("UMAP");
    let y = f.net.apply(x.view(), Head::Embed).expect("apply");
    let s = separation(&y, &labels);
    assert!(s > 3.0, "UMAP separation {s}");
}

#[test]
fn hybrid_learns_the_classes() {
    let (x, labels) = blobs();
    let p = routines::tsne_relations(x.view(), 10.0, Device::Cpu).expect("P");
    let spec = routines::HybridSpec {
        perplexity: 10.0,
        hidden: vec![16],
        classes: 2,
        epochs: 30,
        batch_size: 60,
        lr: 1e-2,
    };
    let d = Labelled {
        x: x.view(),
        labels: &labels,
        p: &p,
    };
    let f = routines::hybrid(d, 5.0, &spec, 2, Device::Cpu, &mut |_, _, _| {}).expect("hybrid");
    let logits = f.net.apply(x.view(), Head::Classify).expect("logits");
    let pred = metrics::argmax_rows(logits.view());
    let acc = pred.iter().zip(&labels).filter(|(a, b)| a == b).count() as f64 / 120.0;
    assert_eq!(acc, 1.0);
}

#[test]
fn bad_input_is_rejected_before_any_work() {
    let (x, labels) = blobs();
    let spec = TsneSpec {
        perplexity: 120.0,
        ..TsneSpec::default()
    };
    let e = routines::parametric_tsne(x.view(), &spec, 1, Device::Cpu, &mut |_, _, _| {});
    assert!(
        matches!(e, Err(EmbedError::BadPerplexity { n: 120, .. })),
        "{e:?}"
    );
    let spec = UmapSpec {
        k: 120,
        ..UmapSpec::default()
    };
    let e = routines::parametric_umap(x.view(), &spec, 1, Device::Cpu, &mut |_, _, _| {});
    assert!(
        matches!(e, Err(EmbedError::BadNeighbourCount { k: 120, n: 120 })),
        "{e:?}"
    );

    let net = Net::new(10, &[4], 2, None, 1, Device::Cpu).expect("net");
    let data = TrainData {
        x: torch_util::to_tensor_f32(x.view(), Device::Cpu),
        p: None,
        graph: None,
        targets: None,
        labels: Some(torch_util::labels_to_tensor(&labels, Device::Cpu)),
    };
    let e = phase::train(&net, &data, &[], 1, |_, _, _| {});
    assert!(matches!(e, Err(EmbedError::NoPhases)), "{e:?}");
    let ph = |terms: Vec<Term>| Phase {
        name: "p".into(),
        epochs: 1,
        batch_size: 10,
        lr: 0.01,
        sampling: Sampling::Standard,
        terms,
    };
    let e = phase::train(
        &net,
        &data,
        &[ph(vec![Term::new(LossKind::Kl, -1.0)])],
        1,
        |_, _, _| {},
    );
    assert!(
        matches!(e, Err(EmbedError::BadLossWeight { weight: -1.0, .. })),
        "{e:?}"
    );
    let e = phase::train(
        &net,
        &data,
        &[ph(vec![Term::new(LossKind::Kl, 0.0)])],
        1,
        |_, _, _| {},
    );
    assert!(matches!(e, Err(EmbedError::AllWeightsZero { .. })), "{e:?}");
    let e = phase::train(&net, &data, &[ph(vec![])], 1, |_, _, _| {});
    assert!(matches!(e, Err(EmbedError::NoLosses { .. })), "{e:?}");
    // KL without a P; classification without a classify head.
    let e = phase::train(
        &net,
        &data,
        &[ph(vec![Term::new(LossKind::Kl, 1.0)])],
        1,
        |_, _, _| {},
    );
    assert!(
        matches!(e, Err(EmbedError::MissingRelation { loss: "kl", .. })),
        "{e:?}"
    );
    let e = phase::train(
        &net,
        &data,
        &[ph(vec![Term::new(LossKind::Classification, 1.0)])],
        1,
        |_, _, _| {},
    );
    assert!(
        matches!(
            e,
            Err(EmbedError::MissingRelation {
                loss: "classification",
                ..
            })
        ),
        "{e:?}"
    );
    let p = routines::tsne_relations(x.view(), 10.0, Device::Cpu).expect("P");
    let d = Labelled {
        x: x.view(),
        labels: &labels,
        p: &p,
    };
    let e = routines::hybrid(
        d,
        1.0,
        &routines::HybridSpec::default(),
        1,
        Device::Cpu,
        &mut |_, _, _| {},
    );
    // HybridSpec::default() has perplexity 30 < 120: fine; labels 0/1 < 10: fine. A weight < 0 is not.
    assert!(e.is_ok());
    let e = routines::hybrid(
        d,
        -2.0,
        &routines::HybridSpec::default(),
        1,
        Device::Cpu,
        &mut |_, _, _| {},
    );
    assert!(
        matches!(e, Err(EmbedError::BadLossWeight { weight: -2.0, .. })),
        "{e:?}"
    );
}

/// The course prints a phase's loss as the sum over the epoch's batches (the
/// reference library's convention); the lab keeps the mean per batch too:
/// for 120 points in batches of 50 there are 3 batches (50, 50, 20), and
/// for UMAP's edge sampling `batches_per_epoch` of them.
#[test]
fn losses_are_logged_as_sums_over_batches_and_as_means() {
    let (x, _) = blobs();
    let spec = TsneSpec {
        perplexity: 10.0,
        hidden: vec![8],
        init_epochs: 2,
        epochs: 3,
        batch_size: 50,
        ..TsneSpec::default()
    };
    let f = routines::parametric_tsne(x.view(), &spec, 3, Device::Cpu, &mut |_, _, _| {})
        .expect("t-SNE");
    assert_eq!(f.logs.len(), 2);
    for log in &f.logs {
        assert_eq!(log.batches, 3, "{}", log.name);
        assert_eq!(log.loss_sums.len(), log.losses.len());
        for (s, m) in log.loss_sums.iter().zip(&log.losses) {
            assert!(
                (s - 3.0 * m).abs() < 1e-9 * s.abs().max(1.0),
                "{s} vs 3 × {m}"
            );
        }
    }
    let spec = UmapSpec {
        k: 10,
        hidden: vec![8],
        init_epochs: 1,
        epochs: 2,
        edges_per_batch: 40,
        batches_per_epoch: 4,
        ..UmapSpec::default()
    };
    let f = routines::parametric_umap(x.view(), &spec, 3, Device::Cpu, &mut |_, _, _| {})
        .expect("UMAP");
    let main = f.logs.last().expect("the UMAP phase");
    assert_eq!(main.batches, 4);
    assert!((main.loss_sums[1] - 4.0 * main.losses[1]).abs() < 1e-9 * main.loss_sums[1].abs());
}

/// `--precision bf16`: the same net's embedding under bf16 autocast against
/// fp32, on fixed weights.
#[test]
fn a_bf16_embedding_is_within_two_percent_of_fp32_on_the_same_weights() {
    let (x, _) = blobs();
    let net = Net::new(10, &[100, 50], 2, None, 3, Device::Cpu).unwrap();
    let fp32 = net.apply(x.view(), Head::Embed).unwrap();
    let bf16 = torch_util::with_precision(torch_util::Precision::Bf16, Device::Cpu, || {
        net.apply(x.view(), Head::Embed)
    })
    .unwrap();
    let diff = (&bf16 - &fp32).mapv(|v| v * v).sum().sqrt();
    let norm = fp32.mapv(|v| v * v).sum().sqrt();
    assert!(diff > 0.0, "bf16 products change the embedding a little");
    assert!(diff / norm < 0.02, "relative difference {}", diff / norm);
}
