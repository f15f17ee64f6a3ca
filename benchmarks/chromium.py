"""How this machine's Chromium is launched headless, for the browser benchmarks and the browser tests.

Debian's `chromium` package (Playwright's own browser download does not work here), with the
flags that keep it from reaching the network or a GPU.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
