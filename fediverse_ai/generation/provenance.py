"""What every generated file says about itself: made by a trained model, and how.

Three layers, for three kinds of reader. XMP carries the IPTC digital source type
``trainedAlgorithmicMedia`` (what Mastodon, Pixelfed, photo tools and platforms' AI labels
read) plus the recipe as JSON in our own namespace; PNG text chunks repeat the recipe for
tools that read those (Pillow drops ``xmp=`` for PNG, so the XMP goes into an iTXt chunk named
"XML:com.adobe.xmp" as the XMP spec says); C2PA (signing.py) adds a signed manifest when the
admin turns it on.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import quoteattr

from PIL.PngImagePlugin import PngInfo

from .. import __version__
from .recipe import DIGITAL_SOURCE_TYPE

RECIPE_NS = "https://fediverse-ai.invalid/ns/recipe/1.0/"
XMP_PNG_KEY = "XML:com.adobe.xmp"
RECIPE_PNG_KEY = "fediverse_ai:recipe"


def recipe_json(recipe: dict[str, Any]) -> str:
    return json.dumps(recipe, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def xmp_packet(recipe: dict[str, Any]) -> bytes:
    """An XMP packet with the IPTC source type, the creator tool and the recipe."""
    description = quoteattr(f"AI-generated image. Prompt: {recipe.get('prompt', '')}")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'    xmlns:fai="{RECIPE_NS}"\n'
        f'    Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}"\n'
        f'    xmp:CreatorTool="fediverse_ai {__version__}"\n'
        f"    fai:recipe={quoteattr(recipe_json(recipe))}>\n"
        f'   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{description[1:-1]}</rdf:li></rdf:Alt>'
        "</dc:description>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def png_info(recipe: dict[str, Any]) -> PngInfo:
    """PNG chunks: the XMP packet as iTXt, the recipe as JSON, and a readable summary."""
    info = PngInfo()
    info.add_itxt(XMP_PNG_KEY, xmp_packet(recipe).decode(), zip=False)
    info.add_itxt(RECIPE_PNG_KEY, recipe_json(recipe), zip=False)
    info.add_text("Software", f"fediverse_ai {__version__}")
    info.add_itxt("Description", f"AI-generated image ({recipe.get('model')}). Prompt: {recipe.get('prompt', '')}")
    return info
