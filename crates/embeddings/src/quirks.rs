//! What each quirk of the course's code does to its numbers: the course
//! protocol's parts run again on the same seeds with one quirk fixed at a
//! time (the networks' missing ReLU after the second layer, the classifier's
//! second softmax, part 5's detached target).

use crate::iris::IrisBatch;
use crate::params::{Hidden, Part, Protocol};
use crate::parts::joint::Part5Report;
use crate::stats::OverSeeds;
pub use crate::summary::QuirkEffect;
use crate::summary::{Part2Report, Part3Report, Part4Report};
use crate::EmbeddingsError;

const NO_RELU: &str = "no activation after the second layer";
const ADD_RELU: &str = "ReLU after the second layer too";

fn over(v: Vec<f64>) -> Result<OverSeeds, EmbeddingsError> {
    OverSeeds::new(v).ok_or(EmbeddingsError::NoRuns("a quirk's summary over seeds"))
}

/// The course protocol's results so far (the parts that ran).
#[derive(Debug)]
pub struct CourseRuns<'a> {
    pub part2: Option<&'a Part2Report>,
    pub part3: Option<&'a Part3Report>,
    pub part4: Option<&'a Part4Report>,
    pub part5: Option<&'a Part5Report>,
}

/// Reruns the parts of `course` with each quirk fixed; `proto` must be the
/// course protocol those runs used.
pub fn measure(
    data: &IrisBatch,
    proto: &Protocol,
    course: &CourseRuns<'_>,
) -> Result<Vec<QuirkEffect>, EmbeddingsError> {
    let mut out = Vec::new();
    if let Some(p2) = course.part2 {
        let c = &proto.classifier;
        let variants = [
            (
                "softmax applied twice (a softmax layer, then a cross-entropy that applies it again)",
                "softmax applied once (logits into the cross-entropy)",
                c.with_softmax_twice(false),
            ),
            (NO_RELU, ADD_RELU, c.with_hidden(Hidden::AllRelu)),
            (
                "both quirks",
                "both fixed",
                c.with_softmax_twice(false).with_hidden(Hidden::AllRelu),
            ),
        ];
        for (quirk, fix, spec) in variants {
            let runs = crate::parts::classifier::run(data, &spec)?;
            out.push(QuirkEffect {
                quirk,
                fix,
                part: Part::Classifier.number(),
                quantity: "test accuracy",
                course: p2.accuracy.clone(),
                fixed: over(runs.iter().map(|r| r.accuracy).collect())?,
            });
            out.push(QuirkEffect {
                quirk,
                fix,
                part: Part::Classifier.number(),
                quantity: "final training loss",
                course: over(p2.runs.iter().map(|r| r.final_loss).collect())?,
                fixed: over(runs.iter().map(|r| r.final_loss).collect())?,
            });
        }
    }
    if let Some(p3) = course.part3 {
        let spec = proto.regression.with_hidden(Hidden::AllRelu);
        let runs = crate::parts::regression::run(data, &spec, proto.clip_to_labels)?;
        out.push(QuirkEffect {
            quirk: NO_RELU,
            fix: ADD_RELU,
            part: Part::Regression.number(),
            quantity: "test MAE",
            course: p3.mae.clone(),
            fixed: over(runs.iter().map(|r| r.mae).collect())?,
        });
        out.push(QuirkEffect {
            quirk: NO_RELU,
            fix: ADD_RELU,
            part: Part::Regression.number(),
            quantity: "nearest-point accuracy",
            course: p3.nearest_accuracy.clone(),
            fixed: over(runs.iter().map(|r| r.nearest_accuracy).collect())?,
        });
    }
    if let Some(p4) = course.part4 {
        let spec = proto.gaussian.with_hidden(Hidden::AllRelu);
        let runs = crate::parts::gaussian::run(data, &spec, proto.clip_to_labels, proto.nll_beta)?;
        out.push(QuirkEffect {
            quirk: NO_RELU,
            fix: ADD_RELU,
            part: Part::Gaussian.number(),
            quantity: "test MAE",
            course: p4.mae.clone(),
            fixed: over(runs.iter().map(|r| r.mae).collect())?,
        });
    }
    if let Some(p5) = course.part5 {
        let (c, f) = (p5.course_detached.last()?, p5.naive_course.last()?);
        let quirk = "target wrapped in Variable(...): detached, the table gets no gradient";
        let fix = "the table's rows used as they are: the gradient reaches the table";
        for (quantity, a, b) in [
            ("test MAE", &c.test_mae, &f.test_mae),
            (
                "test accuracy (nearest row)",
                &c.test_accuracy,
                &f.test_accuracy,
            ),
            ("spread of the rows", &c.spread, &f.spread),
        ] {
            out.push(QuirkEffect {
                quirk,
                fix,
                part: Part::Joint.number(),
                quantity,
                course: a.clone(),
                fixed: b.clone(),
            });
        }
    }
    Ok(out)
}
