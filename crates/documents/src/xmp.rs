//! Factur-X XMP: typst writes a PDF/A-3b file with the `factur-x.xml` attachment, but not the
//! `fx:` metadata a Factur-X reader looks for, nor its PDF/A extension-schema declaration. This
//! adds both to the document's XMP stream (lopdf), inside the existing extension-schema bag.

use lopdf::{Document, Object};

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

/// Adds the Factur-X XMP to a PDF.
pub fn add_facturx(pdf: &[u8]) -> Result<Vec<u8>, String> {
    let mut doc = Document::load_mem(pdf).map_err(|e| format!("reading the PDF: {e}"))?;
    let id = doc
        .catalog()
        .and_then(|c| c.get(b"Metadata"))
        .and_then(Object::as_reference)
        .map_err(|e| format!("no XMP metadata: {e}"))?;
    let stream = doc.get_object_mut(id).and_then(Object::as_stream_mut).map_err(|e| e.to_string())?;
    let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
    let xmp = String::from_utf8(content).map_err(|_| "the XMP is not UTF-8".to_string())?;
    // PDF/A: the metadata stream is not filtered.
    stream.dict.remove(b"Filter");
    stream.dict.remove(b"DecodeParms");
    stream.set_content(with_facturx(&xmp)?.into_bytes());
    let mut out = Vec::with_capacity(pdf.len() + 4096);
    doc.save_to(&mut out).map_err(|e| format!("writing the PDF: {e}"))?;
    Ok(out)
}
