//! The studio's legal texts: its general terms of sale (CGV), its legal notice and its privacy
//! policy, published by an admin as new versions (none is ever changed: an acceptance names the
//! version of the terms it accepted). Until the studio publishes its own, a text drawn from its
//! settings stands as version 0, marked as immovr's model to adapt.

use immovr_core::model::{CompanySettings, LegalKind, LegalText, Role};
use immovr_core::{Actor, DomainError, Result};
use serde_json::json;

use crate::App;
use crate::support::{audit, check_paragraph};

/// The longest text a studio publishes (characters).
const MAX_LEGAL_TEXT: usize = 100_000;

impl App {
    /// The legal text in force: the last published, or immovr's model (version 0).
    pub async fn legal_text(&self, kind: LegalKind) -> Result<LegalText> {
        match self.db.legal_texts(kind).await?.pop() {
            Some(text) => Ok(text),
            None => Ok(default_text(kind, &self.company().await?)),
        }
    }

    /// Every published version of a legal text, newest first (none: the model is in force).
    pub async fn legal_versions(&self, kind: LegalKind) -> Result<Vec<LegalText>> {
        let mut all = self.db.legal_texts(kind).await?;
        all.reverse();
        Ok(all)
    }

    /// One version of a legal text (0: the model, as the settings give it today).
    pub async fn legal_text_version(&self, kind: LegalKind, version: i64) -> Result<LegalText> {
        if version == 0 {
            return Ok(default_text(kind, &self.company().await?));
        }
        let all = self.db.legal_texts(kind).await?;
        all.into_iter().find(|t| t.version == version).ok_or(DomainError::not_found("legal text"))
    }

    /// Publishes a new version of a legal text (admin); the earlier ones stay readable.
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()), err(level = "info"))]
    pub async fn publish_legal_text(&self, actor: &Actor, kind: LegalKind, body: &str) -> Result<LegalText> {
        actor.require(Role::Admin)?;
        let body = check_paragraph("body", body, MAX_LEGAL_TEXT)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut all = tx.legal_texts(kind).await?;
        let version = all.last().map_or(1, |t| t.version + 1);
        let text = LegalText { kind, version, body, published_at: now, published_by: actor.name().to_string() };
        all.push(text.clone());
        tx.set_legal_texts(kind, &all).await?;
        audit(tx.as_mut(), now, actor, "legal_text.published", ("legal_text", version), json!({"kind": kind.as_str()}))
            .await?;
        tx.commit().await?;
        Ok(text)
    }
}

/// immovr's model of a legal text, filled from the studio's settings: a starting point the
/// studio adapts (and says so).
pub fn default_text(kind: LegalKind, c: &CompanySettings) -> LegalText {
    let address = format!("{}, {} {}", c.address.line1, c.address.postcode, c.address.city);
    let body = match kind {
        LegalKind::Terms => format!(
            "Objet\n\nLes présentes conditions générales de vente régissent les prestations de visualisation \
             immobilière (visites virtuelles, rendus 3D, photographies, plans, home staging virtuel) \
             réalisées par {legal} ({form} au capital de {capital}, SIREN {siren}, {rcs}) pour ses clients.\n\n\
             Devis et commande\n\nToute prestation fait l'objet d'un devis personnalisé, valable jusqu'à la date \
             qu'il indique. L'acceptation du devis (« bon pour accord ») dans l'espace client, ou sa signature \
             sur papier, vaut commande et génère un bon de commande.\n\n\
             Réalisation et livraison\n\nLes étapes et leurs dates sont planifiées avec le client après validation \
             du bon de commande. Les fichiers finaux sont livrés dans l'espace client.\n\n\
             Prix et paiement\n\nLes prix sont exprimés en euros hors taxes, la TVA en sus au taux en vigueur. \
             La facture est émise à la livraison, payable par virement ou par chèque selon l'échéance qu'elle \
             indique. {late}\n\n\
             Droit de rétractation\n\nLe client consommateur qui conclut à distance dispose d'un délai de \
             quatorze jours pour se rétracter (article L221-18 du Code de la consommation), sauf s'il demande \
             que la prestation commence avant la fin de ce délai.\n\n\
             Données personnelles\n\nLes données du client sont traitées selon la politique de confidentialité \
             publiée sur ce site.\n\n\
             Médiation et litiges\n\nEn cas de litige, le client peut recourir gratuitement à un médiateur de la \
             consommation. Le droit français s'applique.\n\n\
             (Modèle proposé par immovr : à adapter par le studio avant publication.)",
            legal = c.legal_name,
            form = c.legal_form,
            capital = c.share_capital,
            siren = c.siren,
            rcs = c.rcs,
            late = c.late_payment_wording,
        ),
        LegalKind::Notice => format!(
            "Éditeur\n\n{legal}, {form} au capital de {capital}, {rcs}, SIREN {siren}, TVA {vat}.\n\
             Siège : {address}.\nContact : {email}, {phone}.\n\n\
             Hébergement\n\nCe site est hébergé par le prestataire choisi par {legal} (à préciser : nom, \
             adresse et téléphone de l'hébergeur).\n\n\
             (Modèle proposé par immovr : à compléter par le studio.)",
            legal = c.legal_name,
            form = c.legal_form,
            capital = c.share_capital,
            rcs = c.rcs,
            siren = c.siren,
            vat = c.vat_number,
            email = c.email,
            phone = c.phone,
        ),
        LegalKind::Privacy => format!(
            "Responsable du traitement\n\n{legal}, {address} ({email}).\n\n\
             Données traitées et finalités\n\nIdentité et coordonnées, informations sur le bien, plans et photos, \
             messages, devis, commandes, factures et paiements : pour établir les devis, réaliser et livrer les \
             prestations, facturer et répondre aux obligations légales (base : le contrat et ses mesures \
             précontractuelles ; l'obligation légale pour la comptabilité).\n\n\
             Durées de conservation\n\nProspects : trois ans après le dernier contact. Clients : trois ans après \
             la fin de la relation. Factures et pièces comptables : dix ans.\n\n\
             Destinataires\n\nL'équipe du studio et ses sous-traitants techniques (hébergement, envoi des e-mails), \
             dans l'Union européenne. Aucune donnée n'est vendue.\n\n\
             Vos droits\n\nAccès, rectification, effacement, limitation, opposition et portabilité : depuis votre \
             espace client (export de vos données) ou en écrivant à {email}. Vous pouvez saisir la CNIL \
             (www.cnil.fr).\n\n\
             (Modèle proposé par immovr : à adapter par le studio.)",
            legal = c.legal_name,
            email = c.email,
        ),
    };
    LegalText { kind, version: 0, body, published_at: jiff::Timestamp::UNIX_EPOCH, published_by: "immovr".into() }
}
