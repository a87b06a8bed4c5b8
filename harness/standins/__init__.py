"""Stand-ins for GitHub's web services, put on PATH by the local workflow runner.

`gh` and `cml` are small stdlib-only programs that read and write the emulated GitHub
state (a JSON file, see localgh.py) instead of calling api.github.com.
"""
