"""The AWS CLI (v1), many commands in one Python process.

What the `aws` script does for one command (`awscli.clidriver.create_clidriver().main()`),
done here for each JSON line on stdin: {"id", "env", "args"}; answers one JSON line on
stdout: {"id", "rc", "stdout", "stderr"}. Each command gets a new driver and botocore
session built from its own environment, as a new `aws` process would; only the parsed
service models are shared between commands (botocore's loader cache), which is what
saves the ~0.6 s of CPU that starting Python and loading the models costs every `aws` run.
"""
import contextlib
import io
import json
import os
import sys

import awscli  # noqa: F401  (sets AWS_DATA_PATH, where the CLI's own data is)
import botocore.loaders

_loaders = {}
_create_loader = botocore.loaders.create_loader


def _shared_loader(search_path_string=None):
    if search_path_string not in _loaders:
        _loaders[search_path_string] = _create_loader(search_path_string)
    return _loaders[search_path_string]


botocore.loaders.create_loader = _shared_loader

from awscli.clidriver import create_clidriver  # noqa: E402

_kept = {key: value for key, value in os.environ.items() if key == 'AWS_DATA_PATH'}


def _run(args):
    out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8')
    err = io.TextIOWrapper(io.BytesIO(), encoding='utf-8')
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = create_clidriver().main(args)
        except SystemExit as exit_:
            rc = exit_.code if isinstance(exit_.code, int) else 1
        except Exception as error:  # what the `aws` script would print before dying
            print(f'{type(error).__name__}: {error}', file=sys.stderr)
            rc = 255
    out.flush()
    err.flush()
    return rc, out.buffer.getvalue().decode('utf-8', 'replace'), err.buffer.getvalue().decode('utf-8', 'replace')


for line in sys.stdin:
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(request['env'])
    os.environ.update(_kept)
    rc, stdout, stderr = _run(request['args'])
    answer = {'id': request['id'], 'rc': rc, 'stdout': stdout, 'stderr': stderr}
    sys.__stdout__.write(json.dumps(answer) + '\n')
    sys.__stdout__.flush()
