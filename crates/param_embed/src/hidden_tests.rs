//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tch::{Device, Kind, Tensor};

use crate::loss::{LossKind, Term};
use crate::model::{Head, Net};
use crate::phase::{self, TrainData};
use crate::routines::{hybrid, sweep, tsne_relations, HybridSpec, Labelled};

/// `n` draws of U(−1/√fan_in, 1/√fan_in), as the layers draw them.
fn uniform(rng: &mut StdRng, n: usize, fan_in: usize) -> Vec<f64> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    (0..n)
        .map(|_| rng.gen_range(-bound..bound) as f32 as f64)
        .collect()
}

/// Rows of x (N × in) times w (out × in, row-major) plus b.
fn affine(x: &[Vec<f64>], w: &[f64], b: &[f64]) -> Vec<Vec<f64>> {
    let fan_in = w.len() / b.len();
    x.iter()
        .map(|r| {
            (0..b.len())
                .map(|o| b[o] + (0..fan_in).map(|i| r[i] * w[o * fan_in + i]).sum::<f64>())
                .collect()
        })
        .collect()
}

fn softplus(x: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    x.into_iter()
        .map(|r| r.into_iter().map(|v| (1.0 + v.exp()).ln()).collect())
        .collect()
}

fn close(got: &Tensor, want: &[Vec<f64>], what: &str) {
    let got = Vec::<f64>::try_from(&got.to_kind(Kind::Double).flatten(0, -1)).unwrap();
    let want: Vec<f64> = want.iter().flatten().copied().collect();
    assert_eq!(got.len(), want.len(), "{what}: sizes");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() < 1e-4 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn hybrid_net_by_hand_with_its_layers_drawn_in_order() {
    // 3 → 4 → 3 (softplus after each trunk layer), embed 3 → 2, classify 3 → 5.
    let net = Net::new(3, &[4, 3], 2, Some(5), 9, Device::Cpu).unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    let mut layer = |fan_in: usize, out: usize| {
        let w = uniform(&mut rng, fan_in * out, fan_in);
        let b = uniform(&mut rng, out, fan_in);
        (w, b)
    };
    let (w0, b0) = layer(3, 4);
    let (w1, b1) = layer(4, 3);
    let (we, be) = layer(3, 2);
    let (wc, bc) = layer(3, 5);
    let vars = net.vs.variables();
    for (name, want) in [
        ("trunk0.weight", &w0),
        ("trunk0.bias", &b0),
        ("trunk1.weight", &w1),
        ("trunk1.bias", &b1),
        ("embed.weight", &we),
        ("embed.bias", &be),
        ("classify.weight", &wc),
        ("classify.bias", &bc),
    ] {
        let t = vars
            .get(name)
            .unwrap_or_else(|| panic!("no variable {name}"));
        close(t, std::slice::from_ref(want), name);
    }
    let x: Vec<Vec<f64>> = (0..6)
        .map(|i| (0..3).map(|j| ((i * 5 + j * 3) % 7) as f64 - 3.0).collect())
        .collect();
    let f = softplus(affine(&softplus(affine(&x, &w0, &b0)), &w1, &b1));
    let flat: Vec<f32> = x.iter().flatten().map(|&v| v as f32).collect();
    let xt = Tensor::from_slice(&flat).view([6, 3]);
    let feats = tch::no_grad(|| net.features(&xt));
    close(&feats, &f, "features");
    close(
        &tch::no_grad(|| net.head(&feats, Head::Embed)),
        &affine(&f, &we, &be),
        "embed head",
    );
    close(
        &tch::no_grad(|| net.head(&feats, Head::Classify)),
        &affine(&f, &wc, &bc),
        "classify head",
    );
}

#[test]
fn sweep_on_other_weights_matches_single_runs_in_order() {
    let mut rng = StdRng::seed_from_u64(11);
    let labels: Vec<usize> = (0..45).map(|i| i % 3).collect();
    let x = Array2::from_shape_fn((45, 5), |(i, j)| {
        rng.gen_range(-1.0f32..1.0) + if j == labels[i] { 3.0 } else { 0.0 }
    });
    let p = tsne_relations(x.view(), 6.0, Device::Cpu).unwrap();
    let d = Labelled {
        x: x.view(),
        labels: &labels,
        p: &p,
    };
    let spec = HybridSpec {
        perplexity: 6.0,
        hidden: vec![6, 4],
        classes: 3,
        epochs: 2,
        batch_size: 15,
        lr: 5e-3,
    };
    assert_eq!(
        spec.phases(1.5)[0].terms,
        vec![
            Term::new(LossKind::Kl, 1.5),
            Term::new(LossKind::Classification, 1.0)
        ]
    );
    let weights = [1.5, 0.0, 0.5];
    let mut got = Vec::new();
    sweep(
        d,
        &weights,
        &spec,
        21,
        Device::Cpu,
        &mut |_, _, _| {},
        |w, f| {
            got.push((w, f));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        weights.to_vec()
    );
    for (w, f) in &got {
        let alone = hybrid(d, *w, &spec, 21, Device::Cpu, &mut |_, _, _| {}).unwrap();
        assert_eq!(f.logs[0].losses, alone.logs[0].losses, "w = {w}");
        for head in [Head::Embed, Head::Classify] {
            assert_eq!(
                f.net.apply(x.view(), head).unwrap(),
                alone.net.apply(x.view(), head).unwrap(),
                "w = {w}, {head:?}"
            );
        }
    }
    // hybrid() is Net::new and phase::train from the one seed
    let net = Net::new(5, &[6, 4], 2, Some(3), 21, Device::Cpu).unwrap();
    let data = TrainData {
        x: torch_util::to_tensor_f32(x.view(), Device::Cpu),
        p: Some(p.clone()),
        graph: None,
        targets: None,
        labels: Some(torch_util::labels_to_tensor(&labels, Device::Cpu)),
    };
    let logs = phase::train(&net, &data, &spec.phases(1.5), 21, |_, _, _| {}).unwrap();
    assert_eq!(got[0].1.logs[0].losses, logs[0].losses);
    // the losses follow the weight: with w = 0 only the classifier's loss is left
    let start = Net::new(5, &[6, 4], 2, Some(3), 21, Device::Cpu).unwrap();
    let embed = |n: &Net| n.vs.variables()["embed.weight"].shallow_clone();
    assert!(embed(&got[1].1.net).equal(&embed(&start)));
    assert!(!embed(&got[0].1.net).equal(&embed(&start)));
}
