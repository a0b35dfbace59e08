//! The Iris flowers: 150 examples, 4 features (cm), 3 classes.

use ndarray::{Array1, Array2};

/// Features (150 × 4: sepal length, sepal width, petal length, petal width)
/// and class indices (0 setosa, 1 versicolor, 2 virginica), from the copy
/// shipped inside `linfa-datasets`.
pub fn load_iris() -> (Array2<f64>, Array1<usize>) {
    let ds = linfa_datasets::iris();
    (ds.records.clone(), ds.targets.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn iris_has_150_flowers_in_3_balanced_classes() {
        let (x, y) = super::load_iris();
        assert_eq!(x.dim(), (150, 4));
        for c in 0..3 {
            assert_eq!(y.iter().filter(|&&l| l == c).count(), 50);
        }
        // Known first row: 5.1, 3.5, 1.4, 0.2 (setosa).
        assert_eq!(x.row(0).to_vec(), vec![5.1, 3.5, 1.4, 0.2]);
    }
}
