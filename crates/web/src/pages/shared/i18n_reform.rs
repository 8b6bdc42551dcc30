//! The texts of the e-invoicing reform in the back office (French first, English available):
//! lifecycle statuses, the flows the platform has not accepted, the e-reporting reports.

super::i18n::texts! {
    lookup;
    "bo.nav.platform" => "Plateforme", "Platform";
    "lc.title" => "Cycle de vie", "Lifecycle";
    "lc.200" => "Déposée (200)", "Deposited (200)";
    "lc.210" => "Refusée par l’acheteur (210)", "Refused by the buyer (210)";
    "lc.212" => "Encaissée (212)", "Paid (212)";
    "lc.213" => "Rejetée par la plateforme (213)", "Rejected by the platform (213)";
    "lc.other" => "Statut", "Status";
    "lc.source.platform" => "plateforme", "platform";
    "lc.source.studio" => "studio", "studio";
    "lc.source.buyer" => "acheteur", "buyer";
    "pa.rejected_fix" => "Rejetée : corrigez-la en l’annulant par un avoir (ci-dessous), puis émettez la facture corrigée ; elle sera transmise à son tour.", "Rejected: correct it by cancelling it with a credit note (below), then issue the corrected invoice; it will be transmitted in turn.";
    "pa.reissue" => "Émettre la facture corrigée", "Issue the corrected invoice";
    "pa.list.title" => "Transmissions non acceptées", "Transmissions not accepted";
    "pa.list.help" => "Factures, avoirs, statuts d’encaissement et e-reporting que la plateforme agréée n’a pas (encore) acceptés : en attente, envoyés sans accusé, rejetés ou en échec. Une facture rejetée se corrige par un avoir puis une nouvelle facture.", "Invoices, credit notes, payment statuses and e-reporting that the approved platform has not accepted (yet): waiting, sent without acknowledgement, rejected or failed. A rejected invoice is corrected with a credit note, then a new invoice.";
    "pa.list.none" => "Tout ce qui a été transmis a été accepté par la plateforme.", "Everything transmitted was accepted by the platform.";
    "pa.list.what" => "Flux", "Flow";
    "pa.kind.invoice" => "Facture", "Invoice";
    "pa.kind.credit_note" => "Avoir", "Credit note";
    "pa.kind.payment" => "Statut encaissée (212)", "Paid status (212)";
    "pa.kind.ereport" => "E-reporting", "E-reporting";
    "er.title" => "E-reporting", "E-reporting";
    "er.help" => "Ventes aux particuliers (flux 10.3) et encaissements de prestations de services (flux 10.4), déclarés par période selon le régime de TVA des paramètres, agrégés par jour et par taux, transmis par la plateforme agréée.", "Sales to private persons (flow 10.3) and payments received for services (flow 10.4), reported per period according to the VAT regime in the settings, aggregated per day and rate, sent through the approved platform.";
    "er.off" => "E-reporting : désactivé (aucune plateforme agréée ou son matricule, `platform_registration`, n’est configuré).", "E-reporting: off (no approved platform, or its registration number, `platform_registration`, is configured).";
    "er.none" => "Aucune période déclarée pour l’instant.", "No period reported yet.";
    "er.period" => "Période", "Period";
    "er.kind.sales" => "Ventes (10.3)", "Sales (10.3)";
    "er.kind.payments" => "Encaissements (10.4)", "Payments (10.4)";
    "er.days" => "Jours", "Days";
    "er.nothing" => "rien à déclarer", "nothing to report";
    "er.total" => "Montant", "Amount";
    "settings.vat_regime" => "Régime de TVA (périodes d’e-reporting)", "VAT regime (e-reporting periods)";
    "settings.vat_regime.normal_monthly" => "Réel normal mensuel (ventes par décade, encaissements par mois)", "Normal, monthly (sales by ten days, payments by month)";
    "settings.vat_regime.normal_quarterly" => "Réel normal trimestriel (par mois)", "Normal, quarterly (by month)";
    "settings.vat_regime.simplified" => "Réel simplifié (par mois)", "Simplified (by month)";
    "settings.vat_regime.franchise" => "Franchise en base (par deux mois)", "Franchise (by two months)";
}
