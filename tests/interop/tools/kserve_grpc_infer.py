"""One inference through KServe's InferenceGRPCClient (typed `contents`, mutual TLS), printed as
JSON: the request id echoed, whether the answer came as typed contents, and each output's values.

usage: kserve_grpc_infer.py HOST:PORT CA CERT KEY REQUEST.json
REQUEST.json maps each input name to {"datatype", "shape", "data"}.
"""

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest

NUMPY = {"INT64": np.int64, "FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "BOOL": np.bool_}


async def main(target: str, ca: str, cert: str, key: str, request_file: str) -> None:
    spec = json.load(open(request_file))
    inputs = []
    for name, tensor in spec.items():
        if tensor["datatype"] == "BYTES":
            array = np.array([v.encode() for v in tensor["data"]], dtype=np.object_).reshape(tensor["shape"])
        else:
            array = np.array(tensor["data"], dtype=NUMPY[tensor["datatype"]]).reshape(tensor["shape"])
        infer_input = InferInput(name, tensor["shape"], tensor["datatype"])
        infer_input.set_data_from_numpy(array, binary_data=False)
        inputs.append(infer_input)
    client = InferenceGRPCClient(target, use_ssl=True, root_certificates=ca, private_key=key, certificate_chain=cert)
    try:
        # binary_data_output false: typed contents back, as KServe's own server answers.
        request = InferRequest(model_name="churn", infer_inputs=inputs, request_id="kserve-1",
                               parameters={"binary_data_output": False})
        response = await client.infer(request)
    finally:
        await client.close()
    print(json.dumps({
        "id": response.id,
        "typed": not response._raw_outputs if hasattr(response, "_raw_outputs") else True,
        "outputs": {output.name: output.as_numpy().ravel().tolist() for output in response.outputs},
    }))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
