//! The texts of the client's rights (French first, English available): the erasure of its
//! personal data (GDPR art. 17) and a private client's right of withdrawal (consumer code
//! L221-18): looked up after those of `i18n`.

super::i18n::texts! {
    lookup;
    "erasure.title" => "Effacement des données personnelles", "Erasure of personal data";
    "erasure.done" => "Les données personnelles du client ont été effacées.", "The client's personal data has been erased.";
    "erasure.erased_on" => "Données personnelles effacées le", "Personal data erased on";
    "erasure.requested_on" => "Le client a demandé l’effacement de ses données le", "The client asked for its data to be erased on";
    "erasure.what" => "L’effacement remplace le nom, l’e-mail, le téléphone et les adresses du client, supprime ses messages, ses pièces jointes et ses fichiers livrés, ferme son accès et retire son nom du journal. Il est définitif.", "The erasure replaces the client's name, email, phone and addresses, deletes its messages, attachments and delivered files, closes its access and removes its name from the journal. It cannot be undone.";
    "erasure.kept" => "Ce que la loi impose de conserver reste tel qu’émis : les factures et les avoirs (10 ans), les devis acceptés avec leur preuve d’acceptation.", "What the law requires to keep stays as issued: invoices and credit notes (10 years), accepted quotes with their acceptance evidence.";
    "erasure.confirm" => "Je confirme l’effacement définitif des données personnelles de ce client", "I confirm the final erasure of this client's personal data";
    "erasure.button" => "Effacer les données", "Erase the data";
    "erasure.admin_only" => "Seul un administrateur peut effacer les données d’un client.", "Only an administrator can erase a client's data.";
    "erasure.client_title" => "Effacer mes données", "Erase my data";
    "erasure.client_what" => "Vous pouvez demander l’effacement de vos données personnelles (RGPD, article 17). L’équipe le confirme dans un délai d’un mois ; votre accès est alors fermé.", "You can ask for your personal data to be erased (GDPR, article 17). The team confirms it within one month; your access is then closed.";
    "erasure.client_confirm" => "Je demande l’effacement de mes données personnelles", "I ask for my personal data to be erased";
    "erasure.client_button" => "Demander l’effacement", "Ask for erasure";
    "erasure.asked" => "Votre demande d’effacement est enregistrée : l’équipe y répond dans un délai d’un mois.", "Your erasure request is recorded: the team answers it within one month.";
    "erasure.asked_on" => "Demande d’effacement envoyée le", "Erasure requested on";
    "withdrawal.title" => "Droit de rétractation", "Right of withdrawal";
    "withdrawal.before" => "Particulier, vous disposez de 14 jours à compter de votre acceptation pour vous rétracter, sans motif (Code de la consommation, art. L221-18) : la prestation commence après ce délai.", "As a private client, you have 14 days from your acceptance to withdraw, without giving a reason (French consumer code, art. L221-18): the work starts after that period.";
    "withdrawal.early_start" => "Je demande que la prestation commence avant la fin du délai de rétractation ; si je me rétracte ensuite, je paierai la part déjà réalisée.", "I ask for the work to start before the withdrawal period ends; if I withdraw afterwards, I will pay for the part already done.";
    "withdrawal.until" => "Vous pouvez vous rétracter jusqu’au", "You may withdraw until";
    "withdrawal.started_early" => "Vous avez demandé que la prestation commence pendant ce délai.", "You asked for the work to start within that period.";
    "withdrawal.confirm" => "Je me rétracte de ce contrat", "I withdraw from this contract";
    "withdrawal.button" => "Exercer mon droit de rétractation", "Exercise my right of withdrawal";
    "withdrawal.done" => "Rétractation enregistrée le", "Withdrawal recorded on";
    "withdrawal.due" => "Montant dû pour la part déjà réalisée à votre demande :", "Owed for the part already done at your request:";
    "withdrawal.recorded" => "Votre rétractation est enregistrée : la commande est annulée et un accusé de réception vous est envoyé par e-mail.", "Your withdrawal is recorded: the order is cancelled and an acknowledgement is emailed to you.";
    "withdrawal.form" => "Conditions et modèle de formulaire de rétractation", "Conditions and model withdrawal form";
    "withdrawal.right" => "Un particulier qui accepte un devis à distance (en ligne, par e-mail) ou hors établissement dispose de 14 jours à compter de son acceptation pour se rétracter, sans motif ni pénalité (Code de la consommation, art. L221-18). Un délai qui expire un samedi, un dimanche ou un jour férié est prolongé jusqu’au premier jour ouvrable suivant.", "A private client who accepts a quote at a distance (online, by email) or off premises has 14 days from the acceptance to withdraw, without reason or penalty (French consumer code, art. L221-18). A period ending on a Saturday, Sunday or public holiday runs to the next working day.";
    "withdrawal.how" => "Pour vous rétracter : depuis Mon Compte, sur la page du devis accepté, ou en nous envoyant le formulaire ci-dessous ou toute déclaration sans ambiguïté, à", "To withdraw: from Mon Compte, on the accepted quote's page, or by sending us the form below or any unambiguous statement, to";
    "withdrawal.early_rule" => "La prestation ne commence pas avant la fin du délai, sauf si vous le demandez expressément en acceptant le devis ; si vous vous rétractez ensuite, vous payez la part de la prestation déjà réalisée (art. L221-25).", "The work does not start before the period ends unless you expressly ask for it when accepting the quote; if you then withdraw, you pay for the part of the work already done (art. L221-25).";
    "withdrawal.model" => "Modèle de formulaire de rétractation", "Model withdrawal form";
    "withdrawal.model.only" => "(Veuillez compléter et renvoyer le présent formulaire uniquement si vous souhaitez vous rétracter du contrat.)", "(Complete and return this form only if you wish to withdraw from the contract.)";
    "withdrawal.model.to" => "À l’attention de", "To";
    "withdrawal.model.notify" => "Je/nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du contrat portant sur la prestation de services ci-dessous :", "I/We (*) hereby give notice that I/We (*) withdraw from my/our (*) contract for the provision of the following service:";
    "withdrawal.model.ordered" => "Commandé le (*) / devis n° :", "Ordered on (*) / quote no.:";
    "withdrawal.model.name" => "Nom du (des) consommateur(s) :", "Name of consumer(s):";
    "withdrawal.model.address" => "Adresse du (des) consommateur(s) :", "Address of consumer(s):";
    "withdrawal.model.signature" => "Signature du (des) consommateur(s) (uniquement en cas de notification du présent formulaire sur papier) :", "Signature of consumer(s) (only if this form is notified on paper):";
    "withdrawal.model.date" => "Date :", "Date:";
    "withdrawal.model.strike" => "(*) Rayez la mention inutile.", "(*) Delete as appropriate.";
    "withdrawal.bo.offline" => "Pour un particulier : 14 jours pour se rétracter à compter de la signature, sauf contrat signé dans vos locaux.", "For a private client: 14 days to withdraw from the signature, unless signed at your premises.";
    "withdrawal.bo.offline_early" => "Le client demande par écrit que la prestation commence pendant ce délai", "The client asks in writing for the work to start within that period";
    "withdrawal.bo.on_premises" => "Signé dans les locaux du studio (pas de droit de rétractation)", "Signed at the studio's premises (no right of withdrawal)";
    "withdrawal.bo.until" => "Délai de rétractation du client jusqu’au", "Client's withdrawal period until";
    "withdrawal.bo.early" => "démarrage anticipé demandé", "early start requested";
    "withdrawal.bo.waits" => "la production attend la fin du délai", "production waits for the period to end";
    "withdrawal.bo.withdrawn" => "Le client s’est rétracté le", "The client withdrew on";
}
