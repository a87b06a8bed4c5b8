"""The baseline for `make bench`: the pipeline's work as one plain script, one process.

Same synthetic data, split, estimator, predictions and metrics as the generated
classification project with its default params.yaml, with no DVC and no files.
Usage: python bench_plain.py ROWS FEATURES
"""

import sys

import pandas as pd
from sklearn import metrics
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

rows, features = int(sys.argv[1]), int(sys.argv[2])
x, y = make_classification(
    n_samples=rows, n_features=features, n_informative=max(2, features // 2), random_state=42
)
frame = pd.DataFrame(x, columns=[f"x{i:02d}" for i in range(features)], copy=False)
frame["target"] = y
del x, y
train, test = train_test_split(frame, test_size=0.2, random_state=42, stratify=frame["target"])
del frame
model = HistGradientBoostingClassifier(
    learning_rate=0.1, max_iter=200, max_leaf_nodes=31, random_state=42
)
model.fit(train.drop(columns="target"), train["target"])
probabilities = model.predict_proba(test.drop(columns="target"))
predicted = probabilities.argmax(axis=1)
actual = test["target"]
scores = {
    "accuracy": metrics.accuracy_score(actual, predicted),
    "precision": metrics.precision_score(actual, predicted),
    "recall": metrics.recall_score(actual, predicted),
    "f1": metrics.f1_score(actual, predicted),
    "roc_auc": metrics.roc_auc_score(actual, probabilities[:, 1]),
    "log_loss": metrics.log_loss(actual, probabilities),
}
print(scores)
