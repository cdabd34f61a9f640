"""The page's front-end bundles are installed, so it loads without a network.

solara's page template names exact versions of its bundles (`@widgetti/solara-vuetify-app@…`);
the server serves them from solara-assets' files and fetches a missing one from a public
CDN. A classroom without internet then gets a blank page: solara 1.58.1+ loads
solara-vuetify-app 10.1.1, which solara-assets 1.58.0 does not ship.
"""

from __future__ import annotations

import re
from pathlib import Path

import solara.server
from solara.server import settings

REPO = Path(__file__).resolve().parents[2]
BUNDLE = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/")


def template_bundles() -> set[str]:
    """The versioned bundles the Vue 2 page loads (the app does not run solara's Vue 3)."""
    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    return {b for b in BUNDLE.findall(template.read_text()) if "vuetify3" not in b}


def test_every_bundle_the_page_template_loads_is_installed():
    bundles = template_bundles()
    assert any(b.startswith("@widgetti/solara-vuetify-app@") for b in bundles), bundles
    missing = [b for b in sorted(bundles) if not (settings.assets.proxy_cache_dir / b).is_dir()]
    assert missing == [], f"not under {settings.assets.proxy_cache_dir}: {missing}"


def test_the_charts_echarts_bundle_is_installed():
    vue = (REPO / "viz" / "echart.vue").read_text()
    (version,) = re.findall(r'const version = "([\d.]+)"', vue)
    bundle = settings.assets.proxy_cache_dir / f"echarts@{version}" / "dist" / "echarts.js"
    assert bundle.is_file(), bundle
