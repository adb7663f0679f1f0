"""
The training anchor for `npm run bench -- ml`: scikit-learn fits the same four model kinds on the
same features, targets and walk-forward jobs the bench hands over (a directory with meta.json,
X.f32, y.f64 and per-job row indexes), and writes each job's predictions back with its times.
Missing values: histogram boosting takes NaN natively; the others get the training mean (ridge
and the MLP on standardised inputs, as ours).
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)

work = sys.argv[1]
meta = json.load(open(os.path.join(work, "meta.json")))
F = meta["features"]
X = np.fromfile(os.path.join(work, "X.f32"), dtype=np.float32).reshape(-1, F)
y = np.fromfile(os.path.join(work, "y.f64"), dtype=np.float64)
p = meta["params"]
threads = meta["threads"]


def models(n_train):
    gbm, rf, nn = p["gbm"], p["rf"], p["nn"]
    return {
        "ridge": make_pipeline(SimpleImputer(), StandardScaler(), Ridge(alpha=p["ridgeAlpha"] * n_train)),
        "gbm": HistGradientBoostingRegressor(max_iter=gbm["iterations"], learning_rate=gbm["learningRate"], max_leaf_nodes=gbm["maxLeaves"], max_depth=gbm["maxDepth"], min_samples_leaf=gbm["minSamplesLeaf"], l2_regularization=gbm["lambda"], max_bins=255, early_stopping=False, random_state=gbm["seed"]),
        "rf": make_pipeline(SimpleImputer(), RandomForestRegressor(n_estimators=rf["trees"], max_depth=rf["maxDepth"], max_leaf_nodes=rf["maxLeaves"], min_samples_leaf=rf["minSamplesLeaf"], max_features=rf["featureFraction"], max_samples=rf["sampleFraction"], n_jobs=threads, random_state=rf["seed"])),
        "nn": make_pipeline(SimpleImputer(), StandardScaler(), MLPRegressor(hidden_layer_sizes=tuple(nn["hidden"]), alpha=nn["l2"], batch_size=nn["batchSize"], learning_rate_init=nn["learningRate"], max_iter=nn["epochs"], shuffle=True, random_state=nn["seed"])),
    }


times = {"ridge": 0.0, "gbm": 0.0, "rf": 0.0, "nn": 0.0}
# CPU time of the whole process (all its threads), beside the wall time.
cpu = dict(times)
out = {}
t_all = time.perf_counter()
for job in meta["jobs"]:
    train = np.fromfile(os.path.join(work, f"train-{job['id']}.i32"), dtype=np.int32)
    pred = np.fromfile(os.path.join(work, f"predict-{job['id']}.i32"), dtype=np.int32)
    Xt, yt = X[train], y[train]
    # Targets winsorised at 1/99 % of the job's training rows, as ours are for fitting.
    lo, hi = np.quantile(yt, [0.01, 0.99])
    yt = np.clip(yt, lo, hi)
    for name, model in models(len(train)).items():
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.fit(Xt, yt)
        if len(pred):
            model.predict(X[pred]).astype(np.float64).tofile(os.path.join(work, f"out-{job['id']}-{name}.f64"))
        times[name] += time.perf_counter() - t0
        cpu[name] += time.process_time() - c0
total = time.perf_counter() - t_all
json.dump({"times": times, "cpu": cpu, "total": total, "sklearn": __import__("sklearn").__version__}, open(os.path.join(work, "result.json"), "w"))
