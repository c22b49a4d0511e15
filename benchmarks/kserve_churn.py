#!/usr/bin/env python3
"""KServe's Python model server with the churn scikit-learn pipeline, for benchmarks/serving.py.

A small ``kserve.Model`` subclass, as KServe documents for custom models: it loads the
joblib pipeline that serving.py trained and answers

- KServe v1 (``POST /v1/models/churn:predict``): ``{"instances": [{feature: value, ...}]}``
  becomes a DataFrame; the answer is ``{"predictions": [{"label": .., "probabilities": [..]}]}``,
  the same shape as Warden's v1 answer;
- Open Inference Protocol v2 (``POST /v2/models/churn/infer``): the request's tensors become a
  DataFrame through ``InferRequest.as_dataframe()``; the answer has ``label`` (INT64) and
  ``probabilities`` (FP32), as Warden's does.

One ``predict_proba`` call per request: the label is its argmax (the pipeline's classes are
[0, 1]), so the model runs once, as it does in Warden.

Runs in its own venv (requirements/bench-kserve.txt):
    .venv-bench-kserve/bin/python benchmarks/kserve_churn.py --model_path DIR/model.joblib \
        --model_name churn --http_port 8080 --enable_grpc false --workers 1
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer  # noqa: E402
from kserve import model_server  # noqa: E402
from kserve.protocol.rest.server import RESTServer  # noqa: E402

COLUMNS = [
    "tenure", "monthly_charges", "total_charges", "support_calls", "num_services",
    "data_usage_gb", "days_since_login", "age", "contract", "payment",
]


class ChurnModel(Model):
    def __init__(self, name: str, path: str):
        super().__init__(name)
        self.path = path
        self.pipeline = None
        self.load()

    def load(self) -> bool:
        self.pipeline = joblib.load(self.path)
        classes = list(self.pipeline.classes_)
        if classes != [0, 1]:
            raise ValueError(f"expected classes [0, 1], got {classes}")
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        if isinstance(payload, InferRequest):
            frame = payload.as_dataframe()[COLUMNS]
            proba = self.pipeline.predict_proba(frame)
            label = proba.argmax(axis=1).astype(np.int64)
            out_label = InferOutput(name="label", shape=list(label.shape), datatype="INT64")
            out_label.set_data_from_numpy(label, binary_data=False)
            proba32 = proba.astype(np.float32)
            out_proba = InferOutput(name="probabilities", shape=list(proba32.shape), datatype="FP32")
            out_proba.set_data_from_numpy(proba32, binary_data=False)
            return InferResponse(response_id=payload.id or "", model_name=self.name,
                                 infer_outputs=[out_label, out_proba])
        frame = pd.DataFrame(payload["instances"], columns=COLUMNS)
        proba = self.pipeline.predict_proba(frame)
        return {"predictions": [{"label": int(p.argmax()), "probabilities": p.tolist()} for p in proba]}


class LoopbackRESTServer(RESTServer):
    """KServe's REST server, listening on 127.0.0.1: kserve 0.21 hard-codes host 0.0.0.0 in
    uvicorn.Config and has no option for it; the benchmark stays on the loopback."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config.host = "127.0.0.1"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_path", required=True, help="joblib file of the pipeline")
    args, _ = parser.parse_known_args()
    model_server.RESTServer = LoopbackRESTServer  # what ModelServer.start builds (workers=1)
    ModelServer(workers=1).start([ChurnModel(args.model_name, args.model_path)])
