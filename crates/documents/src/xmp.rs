//! Factur-X XMP: krilla writes a PDF/A-3b file with the `factur-x.xml` attachment, but not the
//! `fx:` metadata a Factur-X reader looks for, nor its PDF/A extension-schema declaration. This
//! adds both to the document's XMP stream — inside an existing extension-schema bag if there is
//! one — by rewriting the bytes of that one (uncompressed) stream in place and shifting the
//! cross-reference offsets of what follows it, without parsing the rest of the file.

const FX_NS: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

fn property(name: &str, description: &str) -> String {
    format!(
        "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
         <pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>\
         <pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
    )
}

fn schema() -> String {
    format!(
        "<rdf:li rdf:parseType=\"Resource\"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property></rdf:li>",
        property("DocumentFileName", "name of the embedded XML invoice file"),
        property("DocumentType", "INVOICE"),
        property("Version", "The actual version of the Factur-X XML schema"),
        property("ConformanceLevel", "The conformance level of the embedded Factur-X data"),
    )
}

fn description() -> String {
    format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NS}\"><fx:DocumentType>INVOICE</fx:DocumentType>\
         <fx:DocumentFileName>factur-x.xml</fx:DocumentFileName><fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>"
    )
}

/// The XMP packet with the Factur-X properties and their schema declaration.
pub fn with_facturx(xmp: &str) -> Result<String, String> {
    if xmp.contains(FX_NS) {
        return Ok(xmp.to_string());
    }
    let end = xmp.rfind("</rdf:RDF>").ok_or("no rdf:RDF in the XMP")?;
    let mut out = String::with_capacity(xmp.len() + 2048);
    match xmp.find("<pdfaExtension:schemas>").and_then(|i| xmp[i..].find("<rdf:Bag>").map(|j| i + j + 9)) {
        Some(bag) => {
            out.push_str(&xmp[..bag]);
            out.push_str(&schema());
            out.push_str(&xmp[bag..end]);
        }
        None => {
            out.push_str(&xmp[..end]);
            out.push_str(&format!(
                "<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
                 xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\
                 <pdfaExtension:schemas><rdf:Bag>{}</rdf:Bag></pdfaExtension:schemas></rdf:Description>",
                schema()
            ));
        }
    }
    out.push_str(&description());
    out.push_str(&xmp[end..]);
    Ok(out)
}

/// Adds the Factur-X XMP to a PDF whose cross-reference section is a classic `xref` table.
pub fn add_facturx(pdf: &[u8]) -> Result<Vec<u8>, String> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
    };
    // The metadata stream's dictionary, its /Length value, and its content.
    let meta = find(pdf, b"/Type/Metadata", 0).ok_or("no XMP metadata stream")?;
    let dict_start = pdf[..meta].windows(2).rposition(|w| w == b"<<").ok_or("malformed metadata object")?;
    let stream_kw = find(pdf, b">>\nstream\n", meta).ok_or("malformed metadata stream")?;
    let len_key = find(&pdf[..stream_kw], b"/Length ", dict_start).ok_or("no /Length on the metadata stream")?;
    let len_start = len_key + b"/Length ".len();
    let len_end = len_start + pdf[len_start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let length: usize =
        std::str::from_utf8(&pdf[len_start..len_end]).ok().and_then(|s| s.parse().ok()).ok_or("bad /Length")?;
    let content_start = stream_kw + b">>\nstream\n".len();
    let content_end = content_start + length;
    if pdf.get(content_end..content_end + 10) != Some(b"\nendstream".as_slice()) {
        return Err("the metadata stream's /Length does not match its content".into());
    }
    let xmp = std::str::from_utf8(&pdf[content_start..content_end]).map_err(|_| "the XMP is not UTF-8")?;
    let new_xmp = with_facturx(xmp)?;

    let mut out = Vec::with_capacity(pdf.len() + new_xmp.len() - xmp.len() + 8);
    out.extend_from_slice(&pdf[..len_start]);
    out.extend_from_slice(new_xmp.len().to_string().as_bytes());
    out.extend_from_slice(&pdf[len_end..content_start]);
    out.extend_from_slice(new_xmp.as_bytes());
    let tail_at = out.len();
    out.extend_from_slice(&pdf[content_end..]);
    let delta = tail_at as i64 - content_end as i64;
    // Everything after the metadata moved by `delta`: shift the xref entries and startxref.
    let shift = |offset: usize| if offset > len_start { (offset as i64 + delta) as usize } else { offset };
    let sx = out.windows(9).rposition(|w| w == b"startxref").ok_or("no startxref")?;
    let num_start = sx + 9 + out[sx + 9..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    let num_end = num_start + out[num_start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let old_xref: usize =
        std::str::from_utf8(&out[num_start..num_end]).ok().and_then(|s| s.parse().ok()).ok_or("bad startxref")?;
    let xref = shift(old_xref);
    if out.get(xref..xref + 4) != Some(b"xref".as_slice()) {
        return Err("no classic xref table at startxref".into());
    }
    // "xref\n0 N\n" then N entries of 20 bytes: "oooooooooo ggggg n\r\n".
    let mut at = xref + 4 + out[xref + 4..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    let header_end = at + out[at..].iter().position(|b| *b == b'\n').ok_or("bad xref header")?;
    let header = std::str::from_utf8(&out[at..header_end]).map_err(|_| "bad xref header")?.trim().to_string();
    let count: usize = header.split_whitespace().nth(1).and_then(|n| n.parse().ok()).ok_or("bad xref header")?;
    at = header_end + 1;
    for _ in 0..count {
        let entry = out.get(at..at + 20).ok_or("truncated xref table")?;
        if entry[17] == b'n' {
            let offset: usize =
                std::str::from_utf8(&entry[..10]).ok().and_then(|s| s.parse().ok()).ok_or("bad xref entry")?;
            let moved = format!("{:010}", shift(offset));
            out[at..at + 10].copy_from_slice(moved.as_bytes());
        }
        at += 20;
    }
    let mut fixed = out[..num_start].to_vec();
    fixed.extend_from_slice(xref.to_string().as_bytes());
    fixed.extend_from_slice(&out[num_end..]);
    Ok(fixed)
}
