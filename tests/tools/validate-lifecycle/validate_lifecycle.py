"""Validates a CDAR (cross-domain acknowledgement and response, D22B) lifecycle message or a
DGFiP e-reporting report (Flux 10) against its XSD and its compiled French schematron, both
taken from the installed pyfrctc package. Prints one line per finding, then PASSED or FAILED."""

import sys
from importlib.util import find_spec
from pathlib import Path

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
KINDS = {
    "CrossDomainAcknowledgementAndResponse": (
        "cdar-xsd/CrossDomainAcknowledgementAndResponse_100pD22B.xsd",
        "cdar-schematron/BR-FR-CDV-Schematron-CDAR.xslt",
    ),
    "Report": ("frr-xsd/ereporting.xsd", "frr-schematron/Flux10.xslt"),
}


def main(argv):
    if len(argv) != 2:
        print("usage: validate-lifecycle FILE.xml", file=sys.stderr)
        return 2
    data = open(argv[1], "rb").read()
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as e:
        print(f"ERROR   [XML] not well-formed: {e}")
        print("FAILED: not XML")
        return 1
    kind = etree.QName(root).localname
    if kind not in KINDS:
        print(f"ERROR   [XML] root {kind}: neither a CDAR message nor an e-reporting report")
        print("FAILED")
        return 1
    # Found without importing the package (its HTTP dependencies are not installed).
    package = Path(find_spec("pyfrctc").submodule_search_locations[0])
    xsd_path, xslt_path = (package / p for p in KINDS[kind])
    errors = 0
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    if not schema.validate(root):
        for e in schema.error_log:
            errors += 1
            print(f"ERROR   [XSD] line {e.line}: {e.message}")
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as proc:
        exe = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt_path))
        svrl = exe.transform_to_string(xdm_node=proc.parse_xml(xml_text=data.decode("utf-8")))
    out = etree.fromstring(svrl.encode("utf-8"))
    fired = len(out.findall(f".//{{{SVRL}}}fired-rule"))
    if fired == 0:
        errors += 1
        print("ERROR   [schematron] no rule fired: wrong document type or namespace?")
    for fa in out.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join((fa.findtext(f"{{{SVRL}}}text") or "").split())
        flag = (fa.get("flag") or "fatal").lower()
        level = "WARNING" if flag in ("warning", "information", "info") else "ERROR  "
        errors += level == "ERROR  "
        print(f"{level} [schematron] {fa.get('id') or ''} at {fa.get('location')}: {text}")
    print(f"{'PASSED' if errors == 0 else 'FAILED'}: {kind}, {fired} schematron rules fired, {errors} errors")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
