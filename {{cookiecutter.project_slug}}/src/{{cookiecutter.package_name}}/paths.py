"""Every path the project reads or writes, relative to the project root.

``dvc.yaml`` names the same paths; ``tests/test_paths.py`` checks that the two agree.
"""

from pathlib import Path

PARAMS = Path("params.yaml")
LOCK = Path("dvc.lock")
LIFECYCLE = Path("lifecycle.yaml")
PIPELINE = Path("dvc.yaml")
DVC_CACHE = Path(".dvc/cache/files/md5")  # DVC 3's local cache, where `cache.dir` is unset

RAW_DIR = Path("data/raw")
TRAIN = Path("data/prepared/train.parquet")
TEST = Path("data/prepared/test.parquet")
DATA_PROFILE = Path("eval/data.json")  # rows, columns and types of the prepared data

MODEL = Path("models/model.joblib")
# The train stage's experiment log (pipeline/tracking.py, DVCLive's layout): where
# training ended, and the curves of the loss per iteration.
TRAINING = Path("eval/training")
TRAINING_METRICS = TRAINING / "metrics.json"
TRAINING_CURVES = TRAINING / "plots" / "metrics"

METRICS = Path("eval/metrics.json")
PREDICTIONS = Path("eval/predictions.parquet")
PLOTS_DIR = Path("eval/plots")
ROC = PLOTS_DIR / "roc.csv"
PRECISION_RECALL = PLOTS_DIR / "precision_recall.csv"
CONFUSION = PLOTS_DIR / "confusion.csv"
RESIDUALS = PLOTS_DIR / "residuals.csv"
# The plot files the evaluate stage writes for each problem type (dvc.yaml: plots).
PLOTS = {
    "classification": (ROC, PRECISION_RECALL, CONFUSION),
    "regression": (RESIDUALS,),
}

# The pull-request report: written by `report`, read by `gate` and the workflows.
REPORT_DIR = Path("build/pr")
FRESHNESS = REPORT_DIR / "freshness.json"
REPORT = REPORT_DIR / "report.md"
RESULT = REPORT_DIR / "result.json"
PULL_REQUEST = REPORT_DIR / "pull-request.json"
REPORT_PLOTS = REPORT_DIR / "plots"

# Promotion on main: written by `promote`, read by `push-tags`, `release` and the
# "Promote" workflow.
PROMOTE_DIR = Path("build/promote")
PROMOTION = PROMOTE_DIR / "promotion.json"
TAGS = PROMOTE_DIR / "tags.txt"
CARD = PROMOTE_DIR / "model-card.md"
PROMOTION_REPORT = PROMOTE_DIR / "report.md"
# From the read-only job that judges to the writer job that registers: its decision,
# and the outputs that ship (with dvc.lock as `dvc repro` left it and the run-cache).
DECISION = PROMOTE_DIR / "decision.json"
STAGED = PROMOTE_DIR / "outputs"
RUN_CACHE = Path(".dvc/cache/runs")  # DVC's run-cache, where `cache.dir` is unset

# The bundle the container image serves: written by `bundle`, checked by `verify-bundle`
# and `image`, copied into the image by the Dockerfile.
IMAGE_BUNDLE = Path("build/image")

# Drift monitoring: written by `monitor`, read by `drift-issue` and the "Monitor" workflow.
MONITOR_DIR = Path("build/monitor")
DRIFT = MONITOR_DIR / "drift.json"
DRIFT_REPORT = MONITOR_DIR / "report.md"

# Retraining: written by `retrain`, read by `retrain-pr` and the "Retrain" workflow.
RETRAIN_DIR = Path("build/retrain")
RETRAINING = RETRAIN_DIR / "retraining.json"
RETRAIN_BODY = RETRAIN_DIR / "pull-request.md"
