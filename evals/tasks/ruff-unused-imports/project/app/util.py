import os
import sys
import json


def dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
