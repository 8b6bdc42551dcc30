//! French first, English available: every text of the pages, by key.

use immovr_core::model::Language;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// A table of texts: `key => French, English;`, looked up by `$name`.
macro_rules! texts {
    ($name:ident; $($key:literal => $fr:literal, $en:literal;)+) => {
        pub(super) fn $name(key: &str) -> Option<(&'static str, &'static str)> {
            match key {
                $($key => Some(($fr, $en)),)+
                _ => None,
            }
        }
    };
}

pub(super) use texts;

texts! {
    lookup;
    "brand" => "ImmoVr — Espace client", "ImmoVr — Client area";
    "skip" => "Aller au contenu", "Skip to content";
    "nav.home" => "Mon compte", "My account";
    "nav.quotes" => "Devis", "Quotes";
    "nav.orders" => "Commandes", "Orders";
    "nav.deliveries" => "Livraisons", "Deliveries";
    "nav.invoices" => "Factures", "Invoices";
    "nav.profile" => "Profil", "Profile";
    "nav.request" => "Demander un devis", "Request a quote";
    "logout" => "Se déconnecter", "Log out";
    "login.title" => "Connexion à votre espace client", "Log in to your client area";
    "login.email" => "Adresse e-mail", "Email address";
    "login.password" => "Mot de passe", "Password";
    "login.submit" => "Se connecter", "Log in";
    "login.failed" => "E-mail ou mot de passe incorrect. Vous venez de vous inscrire ? Ouvrez d’abord le lien de confirmation reçu par e-mail.", "Wrong email or password. Just signed up? Open the confirmation link we emailed you first.";
    "login.limited" => "Trop de tentatives. Réessayez dans une minute.", "Too many attempts. Try again in a minute.";
    "login.magic" => "Recevoir un lien de connexion par e-mail", "Get a login link by email";
    "login.forgot" => "Mot de passe oublié ?", "Forgot your password?";
    "login.signup" => "Première demande ? Créez votre compte en demandant un devis", "First request? Create your account while asking for a quote";
    "magic.title" => "Connexion par lien", "Log in with a link";
    "magic.help" => "Nous vous envoyons un lien valable 15 minutes, utilisable une seule fois.", "We email you a link, valid for 15 minutes, usable once.";
    "magic.sent" => "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé.", "If an account exists for this address, an email is on its way.";
    "magic.invalid" => "Ce lien n'est plus valable (déjà utilisé ou expiré). Demandez-en un nouveau.", "This link is no longer valid (used or expired). Ask for a new one.";
    "magic.send" => "Envoyer le lien", "Send the link";
    "pa.title" => "Plateforme de facturation électronique", "E-invoicing platform";
    "pa.off" => "Transmission à une plateforme agréée : désactivée (aucune plateforme configurée). Les factures sont émises et envoyées par e-mail ; entre entreprises, la transmission par une plateforme agréée sera obligatoire à partir du 1er septembre 2027.", "Transmission to an approved platform: off (no platform configured). Invoices are issued and emailed; between companies, transmission through an approved platform is mandatory from 1 September 2027.";
    "pa.platform" => "Plateforme agréée :", "Approved platform:";
    "pa.none" => "Non transmise : client particulier (ventes déclarées par e-reporting).", "Not transmitted: a private client (sales e-reported).";
    "pa.no_siren" => "Non transmise : cette entreprise n’a pas de SIREN. Entre entreprises françaises, la facture doit passer par la plateforme : renseignez son SIREN pour les prochaines factures (si elle est établie hors de France, ses ventes sont déclarées par e-reporting).", "Not transmitted: this company has no SIREN. Between French companies the invoice must go through the platform: fill in its SIREN for the next invoices (if it is established outside France, its sales are e-reported).";
    "pa.fix_siren" => "Compléter la fiche du client", "Complete the client's details";
    "pa.status.queued" => "en attente d’envoi", "waiting to be sent";
    "pa.status.submitted" => "envoyée, en attente de l’accusé de la plateforme", "sent, waiting for the platform's acknowledgement";
    "pa.status.deposited" => "déposée (200)", "deposited (200)";
    "pa.status.rejected" => "rejetée par la plateforme (213)", "rejected by the platform (213)";
    "pa.status.failed" => "échec d’envoi après plusieurs essais", "not sent after several attempts";
    "pa.retry" => "Renvoyer", "Send again";
    "pa.deposited_client" => "Facture déposée sur la plateforme de facturation électronique le", "Invoice deposited on the e-invoicing platform on";
    "bo.einvoicing" => "Facturation électronique", "E-invoicing";
    "bo.einvoicing.help" => "Mentions et données exigées par la réforme de la facturation électronique (émission obligatoire par une plateforme agréée à partir de septembre 2027).", "Mentions and data the French e-invoicing reform requires (issuing through an approved platform is mandatory from September 2027).";
    "bo.category" => "Catégorie des opérations facturées", "Category of the operations invoiced";
    "bo.category.services" => "Prestation de services", "Supply of services";
    "bo.category.goods" => "Livraison de biens", "Supply of goods";
    "bo.category.mixed" => "Biens et services", "Goods and services";
    "bo.vat_on_debits" => "Option pour le paiement de la TVA d’après les débits", "Option to pay VAT on debits (on invoicing)";
    "bo.electronic_address" => "Adresse de facturation électronique (annuaire)", "Electronic invoicing address (directory)";
    "bo.electronic_address.help" => "Votre SIREN si vide ; sinon le SIREN suivi du suffixe déclaré à l’annuaire (ex. 123456789_FACTURES).", "Your SIREN when empty; otherwise the SIREN followed by the suffix registered in the directory (e.g. 123456789_INVOICES).";
    "request.kept" => "Fichiers déjà reçus", "Files received already";
    "request.kept.help" => "Inutile de les joindre à nouveau : ils seront enregistrés avec votre demande.", "No need to attach them again: they will be recorded with your request.";
    "request.kept.drop" => "Retirer", "Remove";
    "link.notice" => "Vous consultez ce document grâce au lien reçu par e-mail.", "You are viewing this document through the link in your email.";
    "link.sign_in" => "Se connecter pour voir tout votre espace", "Log in to see your whole account";
    "link.invalid" => "Ce lien n'est plus valable (expiré, ou vous vous êtes déconnecté de tous vos appareils). Connectez-vous, ou demandez un lien de connexion.", "This link is no longer valid (expired, or you logged out of every device). Log in, or ask for a login link.";
    "link.other_account" => "Ce lien est destiné à un autre compte que celui connecté ici. Déconnectez-vous, puis ouvrez-le à nouveau.", "This link is meant for another account than the one logged in here. Log out, then open it again.";
    "profile.consent" => "Politique de confidentialité présentée avec votre formulaire d’inscription le", "Privacy policy shown with your sign-up form on";
    "profile.no_consent" => "Votre compte a été créé par le studio : aucune inscription en ligne n’est enregistrée.", "Your account was created by the studio: no online sign-up is recorded.";
    "profile.everywhere" => "Se déconnecter de tous les appareils", "Log out of every device";
    "profile.everywhere_help" => "Ferme toutes vos sessions, ici et ailleurs, et désactive les liens déjà reçus par e-mail. À faire si vous avez perdu un appareil ou transféré un e-mail par erreur.", "Ends all your sessions, here and elsewhere, and disables the links already emailed to you. Do it if you lost a device or forwarded an email by mistake.";
    "reset.title" => "Réinitialiser le mot de passe", "Reset your password";
    "reset.help" => "Nous vous envoyons un lien pour choisir un nouveau mot de passe.", "We email you a link to choose a new password.";
    "reset.new" => "Nouveau mot de passe (10 caractères minimum)", "New password (at least 10 characters)";
    "reset.done" => "Mot de passe modifié. Vous pouvez vous connecter.", "Password changed. You can log in.";
    "reset.save" => "Enregistrer", "Save";
    "signup.title" => "Demande de devis", "Quote request";
    "signup.intro" => "Décrivez votre bien et les prestations souhaitées : nous vous adressons un devis personnalisé dans votre espace client et par e-mail.", "Describe your property and the services you want: we send a personalised quote to your client area and by email.";
    "signup.you" => "Vos coordonnées", "Your details";
    "signup.kind" => "Vous êtes", "You are";
    "signup.person" => "Un particulier", "A private person";
    "signup.company" => "Une entreprise", "A company";
    "signup.privacy" => "Vos coordonnées servent à établir votre devis et à suivre votre projet ; elles ne sont ni cédées ni utilisées à d’autres fins. Depuis votre espace client, vous pouvez les consulter, les corriger, les exporter et en demander l’effacement.", "Your details are used to prepare your quote and follow your project; they are neither sold nor used for anything else. From your client area you can see, correct and export them, and ask for their erasure.";
    "signup.submit" => "Envoyer ma demande", "Send my request";
    "signup.sent.title" => "Vérifiez votre boîte mail", "Check your inbox";
    "signup.sent" => "Un e-mail vient de partir vers l'adresse indiquée.", "An email is on its way to the address you gave.";
    "signup.sent.help" => "Ouvrez le lien qu'il contient (valable 24 heures) pour confirmer votre adresse : votre espace client et votre demande seront alors créés. Vous avez déjà un compte ? L'e-mail vous donne un lien de connexion.", "Open the link it holds (valid for 24 hours) to confirm your address: your client area and your request are then created. Already have an account? The email gives you a sign-in link.";
    "signup.invalid" => "Ce lien de confirmation n'est plus valable (déjà utilisé ou expiré). Connectez-vous, ou inscrivez-vous à nouveau.", "This confirmation link is no longer valid (used or expired). Sign in, or sign up again.";
    "field.name" => "Nom complet", "Full name";
    "field.phone" => "Téléphone", "Phone";
    "field.company" => "Raison sociale", "Company name";
    "field.siren" => "SIREN", "SIREN";
    "field.siret" => "SIRET", "SIRET";
    "field.vat" => "N° de TVA intracommunautaire", "EU VAT number";
    "field.address" => "Adresse de facturation", "Billing address";
    "field.line1" => "Adresse", "Address";
    "field.postcode" => "Code postal", "Postcode";
    "field.city" => "Ville", "City";
    "field.language" => "Langue", "Language";
    "field.notify" => "Recevoir les notifications par e-mail", "Receive email notifications";
    "request.property" => "Le bien", "The property";
    "request.type" => "Type de bien", "Property type";
    "request.address" => "Adresse du bien", "Property address";
    "request.surface" => "Surface (m²)", "Surface (m²)";
    "request.rooms" => "Nombre de pièces", "Rooms";
    "request.services" => "Prestations et options souhaitées", "Services and options wanted";
    "request.date" => "Date souhaitée", "Wished date";
    "request.notes" => "Précisions", "Notes";
    "request.files" => "Plans et photos", "Plans and photos";
    "request.files.help" => "PDF, JPEG, PNG, WebP ou HEIC ; 10 fichiers au plus.", "PDF, JPEG, PNG, WebP or HEIC; at most 10 files.";
    "request.files.progress" => "Envoi des fichiers", "Uploading files";
    "request.sent" => "Votre demande est enregistrée : notre équipe vous adresse un devis rapidement.", "Your request is recorded: our team will send you a quote shortly.";
    "request.list" => "Vos demandes", "Your requests";
    "home.title" => "Mon compte", "My account";
    "home.to_answer" => "Devis en attente de votre réponse", "Quotes awaiting your answer";
    "home.in_progress" => "Commandes en cours", "Orders in progress";
    "home.to_pay" => "Factures à régler", "Invoices to pay";
    "home.unread" => "Nouveaux messages de l'équipe", "New messages from the team";
    "bo.todo.unread" => "Messages clients non lus", "Unread client messages";
    "home.nothing" => "Rien pour le moment.", "Nothing for now.";
    "quotes.title" => "Mes devis", "My quotes";
    "quote.number" => "Devis", "Quote";
    "doc.title" => "Documents PDF", "PDF documents";
    "doc.quote" => "Devis", "Quote";
    "doc.signed_quote" => "Devis accepté (bon pour accord)", "Accepted quote (signed)";
    "doc.purchase_order" => "Bon de commande", "Purchase order";
    "doc.invoice" => "Facture (Factur-X)", "Invoice (Factur-X)";
    "doc.credit_note" => "Avoir", "Credit note";
    "quote.version" => "version", "version";
    "quote.valid_until" => "Valable jusqu'au", "Valid until";
    "quote.days_left" => "jour(s) restant(s)", "day(s) left";
    "quote.lines" => "Détail des prestations", "Services";
    "quote.description" => "Désignation", "Description";
    "quote.qty" => "Qté", "Qty";
    "quote.unit" => "Unité", "Unit";
    "quote.unit_price" => "P.U. HT", "Unit price excl. VAT";
    "quote.discount" => "Remise", "Discount";
    "quote.vat" => "TVA", "VAT";
    "quote.total_ht" => "Total HT", "Total excl. VAT";
    "quote.base" => "Base HT", "Base excl. VAT";
    "quote.total_vat" => "Total TVA", "Total VAT";
    "quote.total_ttc" => "Total TTC", "Total incl. VAT";
    "quote.history" => "Versions", "Versions";
    "quote.accept" => "Accepter", "Accept";
    "quote.refuse" => "Refuser", "Refuse";
    "quote.accept.title" => "Accepter le devis : bon pour accord", "Accept the quote: signature";
    "quote.accept.signer" => "Votre nom complet (signature)", "Your full name (signature)";
    "quote.accept.consent" => "Bon pour accord : j'accepte ce devis et ses conditions, pour le montant indiqué.", "Approved: I accept this quote and its terms, for the amount shown.";
    "quote.accept.terms" => "J'ai lu et j'accepte les conditions générales de vente.", "I have read and accept the terms and conditions.";
    "quote.accept.submit" => "Signer et accepter", "Sign and accept";
    "quote.accepted" => "Devis accepté. Bon de commande généré, ci-dessous.", "Quote accepted. Purchase order generated, below.";
    "quote.refuse.title" => "Refuser ou demander des modifications", "Refuse or ask for changes";
    "quote.refuse.decline" => "Je décline ce devis", "I decline this quote";
    "quote.refuse.changes" => "Je souhaite des modifications", "I would like changes";
    "quote.refuse.comment" => "Votre commentaire pour l'équipe", "Your comment for the team";
    "quote.refuse.submit" => "Envoyer ma réponse", "Send my answer";
    "quote.refused" => "Votre réponse est transmise à l'équipe.", "Your answer has been passed on to the team.";
    "quote.expired.why" => "Ce devis a dépassé sa date de validité et ne peut plus être accepté. Écrivez-nous ci-dessous ou demandez un nouveau devis : l'équipe vous enverra une version à jour.", "This quote is past its validity date and can no longer be accepted. Write to us below or request a new quote: the team will send an updated version.";
    "quote.superseded.why" => "Une version plus récente de ce devis vous a été envoyée : c'est elle que vous pouvez accepter.", "A newer version of this quote was sent to you: that is the one you can accept.";
    "quote.refused.why" => "Vous avez répondu à ce devis.", "You answered this quote.";
    "quote.changes.why" => "Vous avez demandé des modifications : le studio prépare une nouvelle version de ce devis, que vous recevrez dans votre espace et par e-mail.", "You asked for changes: the studio is preparing a new version of this quote, which you will receive in your area and by email.";
    "quote.accepted.by" => "Accepté par", "Accepted by";
    "quote.accepted.paper" => "sur un exemplaire papier signé le", "on a paper copy signed on";
    "quote.accepted.email" => "par un email signé le", "by a signed email on";
    "quote.hash" => "Empreinte SHA-256 du devis accepté", "SHA-256 of the accepted quote";
    "quote.newer" => "Voir la version en vigueur", "See the current version";
    "status.draft" => "Brouillon", "Draft";
    "status.sent" => "À répondre", "Awaiting answer";
    "status.accepted" => "Accepté", "Accepted";
    "status.refused" => "Refusé", "Refused";
    "status.changes_requested" => "Modifications demandées — nouvelle version en préparation", "Changes requested — a new version is being prepared";
    "status.superseded" => "Remplacé", "Superseded";
    "status.expired" => "Expiré", "Expired";
    "status.pending" => "À valider", "To validate";
    "status.client.pending" => "En attente de validation par le studio", "Awaiting the studio's validation";
    "status.client.registered" => "Validée — le studio planifie les étapes", "Validated — the studio is planning the stages";
    "status.client.in_progress" => "En cours de réalisation", "In production";
    "status.client.new" => "Reçue — devis en préparation", "Received — quote in preparation";
    "status.client.quoted" => "Devis envoyé", "Quote sent";
    "status.validated" => "Validé", "Validated";
    "status.cancelled" => "Annulé", "Cancelled";
    "status.invoice.cancelled" => "Annulée par avoir", "Cancelled by a credit note";
    "request.wished" => "souhaité le", "wished for";
    "status.registered" => "Enregistrée", "Registered";
    "status.in_progress" => "En cours", "In progress";
    "status.delivered" => "Livrée", "Delivered";
    "status.issued" => "À régler", "To pay";
    "status.partially_paid" => "Partiellement réglée", "Partly paid";
    "status.paid" => "Réglée", "Paid";
    "status.planned" => "Planifiée", "Planned";
    "status.done" => "Terminée", "Done";
    "status.new" => "Nouvelle", "New";
    "status.quoted" => "Devis envoyé", "Quoted";
    "status.closed" => "Close", "Closed";
    "status.open" => "En cours", "Open";
    "status.unpaid" => "À régler", "Unpaid";
    "status.overdue" => "En retard", "Overdue";
    "status.failed" => "En échec", "Failed";
    "list.search" => "Rechercher", "Search";
    "list.search_button" => "Filtrer", "Filter";
    "list.any" => "Tous", "Any";
    "list.from" => "Du", "From";
    "list.to" => "au", "to";
    "list.clear" => "Tout afficher", "Show all";
    "list.none_found" => "Rien ne correspond à cette recherche.", "Nothing matches this search.";
    "list.pages" => "Pages de la liste", "List pages";
    "list.first" => "Retour au début", "Back to the start";
    "list.next" => "Page suivante", "Next page";
    "list.all" => "Tout voir", "See all";
    "bo.find_client" => "Trouver un client", "Find a client";
    "orders.title" => "Mes commandes", "My orders";
    "order.po" => "Bon de commande", "Purchase order";
    "order.from_quote" => "d'après le devis", "from quote";
    "order.timeline" => "Étapes du projet", "Project stages";
    "order.planned_for" => "prévue le", "planned for";
    "order.at" => "à", "at";
    "order.place" => "Lieu", "Place";
    "order.contact" => "Votre contact au studio", "Your contact at the studio";
    "order.contact.studio" => "L'équipe du studio vous répond ici, dans les échanges ci-dessous.", "The studio's team answers you here, in the thread below.";
    "order.contact.help" => "Pour toute question sur votre projet, écrivez dans les échanges en bas de cette page : votre contact est prévenu.", "For any question about your project, write in the thread at the bottom of this page: your contact is told.";
    "order.done_on" => "terminée le", "done on";
    "order.waiting" => "Bon de commande en attente de validation par l'équipe.", "Purchase order awaiting validation by the team.";
    "order.live" => "Cette page se met à jour en direct.", "This page updates live.";
    "deliveries.title" => "Mes livraisons", "My deliveries";
    "deliveries.size" => "Taille", "Size";
    "deliveries.checksum" => "Empreinte SHA-256", "SHA-256";
    "deliveries.none" => "Aucun fichier livré pour le moment.", "No file delivered yet.";
    "invoices.title" => "Mes factures", "My invoices";
    "invoice.number" => "Facture", "Invoice";
    "invoice.issued" => "Émise le", "Issued on";
    "invoice.due" => "Échéance", "Due date";
    "invoice.subject" => "Objet", "Subject";
    "invoice.quote" => "Devis", "Quote";
    "invoice.property" => "Lieu de la prestation", "Service performed at";
    "invoice.amount_due" => "Reste à régler", "Amount due";
    "invoice.paid" => "Déjà réglé", "Already paid";
    "invoice.how" => "Comment régler", "How to pay";
    "invoice.transfer" => "Par virement bancaire", "By bank transfer";
    "invoice.holder" => "Titulaire du compte", "Account holder";
    "invoice.reference" => "Référence à indiquer", "Reference to quote";
    "invoice.cheque" => "Par chèque", "By cheque";
    "invoice.cheque_to" => "À l'ordre de", "Payable to";
    "invoice.cheque_address" => "À envoyer à", "Send to";
    "invoice.payments" => "Paiements reçus", "Payments received";
    "messages.title" => "Messages avec l'équipe", "Messages with the team";
    "messages.write" => "Votre message", "Your message";
    "messages.send" => "Envoyer", "Send";
    "messages.none" => "Aucun message pour l'instant.", "No message yet.";
    "messages.team" => "Équipe ImmoVr", "ImmoVr team";
    "profile.title" => "Mon profil", "My profile";
    "profile.saved" => "Profil enregistré.", "Profile saved.";
    "profile.password" => "Changer de mot de passe", "Change password";
    "profile.current" => "Mot de passe actuel", "Current password";
    "profile.data" => "Mes données", "My data";
    "profile.export" => "Télécharger toutes mes données et mes fichiers (ZIP)", "Download all my data and files (ZIP)";
    "profile.gdpr" => "Conformément au RGPD, vous pouvez obtenir une copie de vos données et demander leur effacement.", "Under the GDPR you can get a copy of your data and ask for its erasure.";
    "bo.line" => "ligne", "line";
    "home.public.lead" => "Visites virtuelles, rendus 3D, photos et plans pour vendre et louer vos biens : un devis personnalisé, une commande suivie en direct dans votre espace client, un paiement à la livraison.", "Virtual tours, 3D renders, photos and plans to sell and let your properties: a personalised quote, an order followed live in your client area, payment on delivery.";
    "home.public.login" => "Se connecter à mon espace client", "Log in to my client area";
    "home.public.backoffice" => "Ouvrir le back-office", "Open the back office";
    "home.public.services" => "Nos prestations", "Our services";
    "home.public.from" => "à partir de", "from";
    "home.public.steps" => "Votre projet en cinq étapes", "Your project in five steps";
    "home.public.contact" => "Nous contacter", "Contact us";
    "home.step1.title" => "Réception du devis", "Receive your quote";
    "home.step1.text" => "après votre demande, un devis personnalisé arrive dans votre espace client (Mon Compte > Devis) et par e-mail, avec chaque prestation, ses options et le montant total.", "after your request, a personalised quote reaches your client area (My account > Quotes) and your inbox, with each service, its options and the total.";
    "home.step2.title" => "Accepter ou refuser", "Accept or refuse";
    "home.step2.text" => "acceptez le devis pour lancer le projet, ou refusez-le en demandant des modifications : l’équipe ajuste sa proposition.", "accept the quote to start the project, or refuse it asking for changes: the team adjusts its offer.";
    "home.step3.title" => "Bon de commande", "Purchase order";
    "home.step3.text" => "votre accord génère aussitôt un bon de commande reprenant le devis, confirmé dans votre espace et par e-mail.", "your acceptance generates a purchase order taken from the quote at once, confirmed in your area and by email.";
    "home.step4.title" => "Confirmation et planification", "Confirmation and planning";
    "home.step4.text" => "le studio valide la commande, vous contacte et planifie avec vous les étapes (prise de vue, rendus, livraison), suivies en direct.", "the studio validates the order, contacts you and plans the stages with you (shoot, renders, delivery), followed live.";
    "home.step5.title" => "Livraison et paiement", "Delivery and payment";
    "home.step5.text" => "les fichiers finaux livrés, vous recevez une facture détaillée, réglée par virement ou par chèque.", "once the final files are delivered, you receive a detailed invoice, paid by bank transfer or cheque.";
    "legal.cgv" => "Conditions générales de vente", "Terms and conditions of sale";
    "legal.mentions" => "Mentions légales", "Legal notice";
    "legal.privacy" => "Politique de confidentialité", "Privacy policy";
    "legal.model" => "Modèle proposé par immovr, en attendant le texte du studio.", "immovr’s model, until the studio publishes its own text.";
    "legal.version" => "Version", "Version";
    "legal.published" => "publiée le", "published on";
    "legal.versions" => "Versions publiées", "Published versions";
    "legal.accepted_version" => "Conditions générales de vente acceptées : version", "Terms and conditions accepted: version";
    "bo.nav.legal" => "Textes légaux", "Legal texts";
    "bo.legal.help" => "Chaque publication crée une nouvelle version ; les précédentes restent consultables, et chaque accord de devis garde la version des CGV en vigueur. Une ligne vide sépare les paragraphes ; une ligne courte seule fait un titre.", "Each publication creates a new version; earlier ones stay readable, and each quote acceptance keeps the version of the terms in force. A blank line separates paragraphs; a short line alone is a heading.";
    "bo.legal.publish" => "Publier une nouvelle version", "Publish a new version";
    "bo.legal.published" => "Nouvelle version publiée.", "New version published.";
    "quote.compare" => "comparer avec", "compare with";
    "quote.compare.title" => "Deux versions du devis", "Two versions of quote";
    "quote.compare.changes" => "Ce qui change", "What changed";
    "quote.compare.added" => "Ajouté :", "Added:";
    "quote.compare.removed" => "Retiré :", "Removed:";
    "quote.compare.changed" => "Modifié :", "Changed:";
    "deliveries.file" => "Fichier", "File";
    "quote.subject" => "Objet", "Subject";
    "menu" => "Menu", "Menu";
    "bo.request.asked" => "La demande du client", "The client's request";
    "bo.save_and_send" => "Enregistrer et envoyer au client", "Save and send to the client";
    "bo.confirm.irreversible" => "Je confirme : cette action est définitive.", "I confirm: this cannot be undone.";
    "error.title" => "Un problème est survenu", "Something went wrong";
    "error.summary" => "Le formulaire n’a pas été enregistré. À corriger :", "The form was not saved. To correct:";
    "error.invalid" => "Saisie refusée", "Input refused";
    "error.code.validation_failed" => "Une saisie est refusée.", "An input was refused.";
    "error.code.not_found" => "Cette page n'existe pas ou ne vous est pas accessible.", "This page does not exist or is not yours to see.";
    "error.code.unauthenticated" => "Connectez-vous pour continuer.", "Log in to continue.";
    "error.code.bad_credentials" => "E-mail ou mot de passe incorrect.", "Wrong email or password.";
    "error.code.second_factor_required" => "Ce compte demande son code à 6 chiffres.", "This account needs its 6-digit code.";
    "error.code.forbidden" => "Cette action est réservée à un autre rôle de l’équipe :", "This action needs another role of the team:";
    "error.code.email_taken" => "Un compte existe déjà avec cette adresse e-mail.", "An account with this email already exists.";
    "error.code.catalogue_code_taken" => "Une prestation du catalogue porte déjà ce code.", "A catalogue item with this code already exists.";
    "error.code.quote_not_draft" => "Seul un devis en brouillon peut être modifié ou envoyé.", "Only a draft quote can be edited or sent.";
    "error.code.quote_empty" => "Le devis n’a aucune ligne.", "The quote has no lines.";
    "error.code.quote_not_sent" => "Le devis n’a pas encore été envoyé au client.", "The quote has not been sent to the client yet.";
    "error.code.quote_already_accepted" => "Ce devis est déjà accepté.", "This quote has already been accepted.";
    "error.code.quote_refused" => "Ce devis a été refusé.", "This quote has been refused.";
    "error.code.quote_superseded" => "Une version plus récente de ce devis existe : c’est elle qui peut être acceptée.", "A newer version of this quote exists: that is the one that can be accepted.";
    "error.code.quote_expired" => "La date de validité de ce devis est passée.", "This quote is past its validity date.";
    "error.code.quote_not_revisable" => "Ce devis ne peut pas être révisé dans son état actuel.", "This quote cannot be revised in its current state.";
    "error.code.quote_revision_exists" => "Une nouvelle version de ce devis existe déjà.", "A newer version of this quote already exists.";
    "error.code.acceptance_incomplete" => "Pour accepter, indiquez votre nom, cochez « Bon pour accord » et acceptez les conditions générales de vente.", "To accept, give your name, tick ‘Approved’ and accept the terms and conditions.";
    "error.code.purchase_order_already_validated" => "Ce bon de commande est déjà validé.", "This purchase order has already been validated.";
    "error.code.purchase_order_cancelled" => "Ce bon de commande a été annulé.", "This purchase order has been cancelled.";
    "error.code.order_wrong_state" => "L’état de la commande ne permet pas cette action.", "The order’s state does not allow this.";
    "error.code.order_not_delivered" => "La commande n’est pas encore livrée.", "The order has not been delivered yet.";
    "error.code.order_already_delivered" => "La commande est déjà livrée.", "The order has already been delivered.";
    "error.code.order_nothing_to_deliver" => "Déposez au moins un fichier final avant de livrer.", "Upload at least one final file before delivering.";
    "error.code.already_invoiced" => "Cette commande a déjà une facture en vigueur.", "This order already has an invoice in force.";
    "error.code.stage_already_done" => "Cette étape est déjà terminée.", "This stage is already done.";
    "error.code.overpayment" => "Ce paiement dépasse le reste dû de la facture.", "This payment exceeds the amount due.";
    "error.code.invoice_already_paid" => "Cette facture est déjà entièrement réglée.", "This invoice is already fully paid.";
    "error.code.invoice_cancelled" => "Cette facture a été annulée par un avoir.", "This invoice has been cancelled by a credit note.";
    "error.code.erasure_blocked" => "Ce client a une commande en cours, un bon de commande à valider ou une facture non soldée : terminez-les ou annulez-les avant d’effacer ses données.", "This client has an order in progress, a purchase order to validate or an invoice not yet settled: finish or cancel them before erasing its data.";
    "error.code.withdrawal_period_runs" => "Le délai de rétractation du client court : la production commence après, sauf s’il a demandé un démarrage anticipé.", "The client's withdrawal period runs: production starts after it, unless the client asked for an earlier start.";
    "error.code.withdrawal_closed" => "Le délai de rétractation est écoulé, ou la commande est livrée ou annulée.", "The withdrawal period has ended, or the order was delivered or cancelled.";
    "error.code.client_erased" => "Les données de ce client ont été effacées.", "This client's data has been erased.";
    "error.code.invoice_has_payments" => "Un paiement est enregistré : remboursez-le avant d’annuler la facture.", "A payment has been recorded: refund it before cancelling the invoice.";
    "error.code.file_too_large" => "Ce fichier dépasse la taille permise (Mo) :", "This file is larger than allowed (MB):";
    "error.code.idempotency_in_progress" => "Cette demande est encore en cours de traitement : patientez un instant.", "This request is still being processed: wait a moment.";
    "error.code.idempotency_key_reused" => "Cette demande a déjà été envoyée avec un autre contenu.", "This request was already sent with different content.";
    "error.code.internal" => "Un problème est survenu de notre côté ; il a été enregistré.", "Something went wrong on our side; it has been logged.";
    "error.back" => "Revenir à mon compte", "Back to my account";
    "error.not_found" => "Cette page n'existe pas ou ne vous est pas accessible.", "This page does not exist or is not yours to see.";
    "error.csrf" => "Le formulaire a expiré. Rechargez la page et réessayez.", "The form has expired. Reload the page and try again.";
    "error.staff" => "Cet espace est réservé aux clients. L'équipe utilise le back-office.", "This area is for clients. The team uses the back office.";
    "bo.brand" => "ImmoVr — Gestion", "ImmoVr — Back office";
    "bo.staff_only" => "Cet espace est réservé à l'équipe.", "This area is for the team.";
    "bo.nav.todo" => "À traiter", "To do";
    "bo.nav.requests" => "Demandes", "Requests";
    "bo.nav.pos" => "Bons de commande", "Purchase orders";
    "bo.nav.audit" => "Journal", "Audit log";
    "bo.nav.emails" => "Courriels", "Emails";
    "bo.emails.help" => "Chaque notification est envoyée par le serveur de courriel configuré (ou écrite dans le dossier outbox), avec de nouvelles tentatives espacées ; celles qui échouent à répétition restent ici, en échec, jusqu’à ce que vous les renvoyiez.", "Each notification is sent through the configured mail server (or written to the outbox folder), with spaced retries; those that keep failing stay here, failed, until you send them again.";
    "bo.emails.kind" => "Notification", "Notification";
    "bo.emails.to" => "Destinataire", "Recipient";
    "bo.emails.status" => "État", "Status";
    "bo.emails.attempts" => "Tentatives", "Attempts";
    "bo.emails.error" => "Dernière erreur", "Last error";
    "bo.emails.retry" => "Renvoyer", "Send again";
    "bo.emails.failed" => "Courriels en échec", "Failed emails";
    "mail.pending" => "En attente", "Waiting";
    "mail.sent" => "Envoyé", "Sent";
    "mail.failed" => "En échec", "Failed";
    "bo.new_quote" => "Nouveau devis", "New quote";
    "bo.todo.requests" => "Nouvelles demandes de devis", "New quote requests";
    "bo.todo.changes" => "Devis refusés avec modifications demandées", "Quotes refused with changes requested";
    "bo.todo.expiring" => "Devis qui expirent cette semaine", "Quotes expiring this week";
    "bo.todo.validate" => "Bons de commande à valider", "Purchase orders to validate";
    "bo.todo.stages" => "Étapes prévues d'ici 7 jours", "Stages due within 7 days";
    "bo.todo.deliver" => "Commandes à livrer", "Orders to deliver";
    "bo.todo.overdue" => "Factures en retard", "Overdue invoices";
    "bo.client" => "Client", "Client";
    "bo.title" => "Objet", "Subject";
    "bo.actions" => "Actions", "Actions";
    "bo.make_quote" => "Établir le devis", "Make the quote";
    "bo.lines_help" => "(les lignes vides sont ignorées ; la désignation propose le catalogue)", "(empty rows are ignored; the description suggests the catalogue)";
    "bo.save_draft" => "Enregistrer le brouillon", "Save draft";
    "bo.preview" => "Aperçu", "Preview";
    "bo.saved" => "Enregistré.", "Saved.";
    "bo.revise" => "Préparer une nouvelle version", "Draft a new version";
    "bo.revise.help" => "La nouvelle version remplacera celle-ci quand elle sera envoyée.", "The new version replaces this one once it is sent.";
    "bo.extend" => "Prolonger la validité", "Extend validity";
    "bo.acceptance" => "Bon pour accord", "Acceptance (“bon pour accord”)";
    "bo.accepted_at" => "Accepté en ligne le", "Accepted online on";
    "quote.via_link" => "Ouvert par le lien personnel de l’e-mail du", "Opened through the personal link of the email of";
    "bo.content_hash" => "Empreinte du contenu accepté", "Fingerprint of the accepted content";
    "bo.offline.title" => "Enregistrer un accord reçu hors ligne", "Record an acceptance received offline";
    "bo.offline.help" => "Le client a signé ce devis sur papier ou par email : indiquez qui a signé et quand, et joignez le document signé. Le bon de commande est créé comme pour un accord en ligne.", "The client signed this quote on paper or by email: say who signed and when, and attach the signed document. The purchase order is created as for an online acceptance.";
    "bo.offline.signer" => "Signataire (nom tel qu'il figure sur le document)", "Signed by (the name as on the document)";
    "bo.offline.signed_on" => "Signé le", "Signed on";
    "bo.offline.channel" => "Reçu", "Received";
    "bo.offline.online" => "En ligne, dans l'espace client", "Online, in the client space";
    "bo.offline.paper" => "Exemplaire papier signé", "Signed paper copy";
    "bo.offline.email" => "Email signé", "Signed email";
    "bo.offline.recorded" => "Enregistré par", "Recorded by";
    "bo.offline.evidence" => "Document signé", "Signed document";
    "bo.offline.evidence_help" => "PDF (un email imprimé en PDF), ou scan ou photo : JPEG, PNG, WebP, HEIC — 25 Mo au plus.", "PDF (an email printed to PDF), or a scan or photo: JPEG, PNG, WebP, HEIC — 25 MB at most.";
    "bo.offline.submit" => "Enregistrer l'accord et créer le bon de commande", "Record the acceptance and create the purchase order";
    "bo.refusal.decline" => "Décliné par le client", "Declined by the client";
    "bo.refusal.changes_requested" => "Modifications demandées", "Changes requested";
    "bo.thread" => "Échanges avec le client", "Thread with the client";
    "bo.reply" => "Répondre", "Reply";
    "bo.validate" => "Valider", "Validate";
    "bo.cancel" => "Annuler", "Cancel";
    "bo.cancel_reason" => "Motif", "Reason";
    "bo.planned_date" => "Date prévue", "Planned date";
    "bo.planned_time" => "Heure", "Time";
    "bo.planned_time.invalid" => "Heure : au format 09:30.", "Time: as 09:30.";
    "bo.place" => "Lieu", "Place";
    "bo.contact" => "Contact du client au studio", "The client's contact at the studio";
    "bo.contact.help" => "La personne que le client voit comme son interlocuteur pour ce projet.", "The person the client sees as their contact for this project.";
    "bo.contact.none" => "Aucun contact choisi : le client voit l'adresse du studio.", "No contact chosen: the client sees the studio's address.";
    "bo.contact.save" => "Choisir comme contact", "Make the contact";
    "bo.assignee" => "Responsable", "Assignee";
    "bo.plan" => "Planifier", "Plan";
    "bo.done" => "Marquer terminée", "Mark done";
    "bo.upload.label" => "Fichiers finaux", "Final files";
    "bo.upload" => "Déposer les fichiers finaux", "Upload the final files";
    "bo.deliver" => "Marquer livrée et émettre la facture", "Mark delivered and issue the invoice";
    "bo.deliver.help" => "La facture est émise à partir du bon de commande au moment de la livraison.", "The invoice is issued from the purchase order on delivery.";
    "bo.deliver.why_disabled" => "Déposez d'abord au moins un fichier final : la livraison les met à disposition du client.", "Upload at least one final file first: delivery makes them available to the client.";
    "bo.from" => "Du", "From";
    "bo.to" => "Au", "To";
    "bo.filter" => "Filtrer", "Filter";
    "bo.bank_reference" => "Référence du virement", "Transfer reference";
    "bo.record_transfer" => "Enregistrer le virement", "Record the transfer";
    "bo.cheque_number" => "N° du chèque", "Cheque number";
    "bo.bank" => "Banque", "Bank";
    "bo.received" => "Reçu le", "Received on";
    "bo.deposit" => "Remis en banque le", "Deposited on";
    "bo.record_cheque" => "Enregistrer le chèque", "Record the cheque";
    "bo.credit_note" => "Émettre un avoir (annule la facture)", "Issue a credit note (cancels the invoice)";
    "bo.entity" => "Objet", "Entity";
    "bo.who" => "Qui", "Who";
    "bo.what" => "Action", "Action";
    "bo.nav.clients" => "Clients", "Clients";
    "bo.nav.catalogue" => "Catalogue", "Catalogue";
    "bo.nav.settings" => "Paramètres", "Settings";
    "bo.nav.users" => "Utilisateurs", "Users";
    "bo.label_fr" => "Libellé (français)", "Label (French)";
    "bo.label_en" => "Libellé (anglais)", "Label (English)";
    "bo.active" => "Actif", "Active";
    "bo.catalogue_new" => "Nouvelle prestation ou option", "New service or option";
    "bo.kind" => "Type", "Kind";
    "bo.service" => "Prestation", "Service";
    "bo.option" => "Option", "Option";
    "bo.add" => "Ajouter", "Add";
    "bo.demo_settings" => "Paramètres de démonstration : identifiants et coordonnées bancaires fictifs. Remplacez-les avant d'émettre de vrais documents.", "Demo settings: placeholder identifiers and bank details. Replace them before issuing real documents.";
    "bo.identity" => "Identité légale", "Legal identity";
    "bo.trade_name" => "Nom commercial", "Trade name";
    "bo.legal_name" => "Raison sociale", "Legal name";
    "bo.legal_form" => "Forme juridique", "Legal form";
    "bo.capital" => "Capital social", "Share capital";
    "bo.payment" => "Paiement", "Payment";
    "bo.payment_terms" => "Délai de paiement en jours après la facture (0 : à réception)", "Payment terms in days after the invoice (0: on receipt)";
    "bo.late_wording" => "Mention pénalités de retard", "Late-payment wording";
    "bo.numbering" => "Numérotation, TVA, devis", "Numbering, VAT, quotes";
    "bo.credit_note_short" => "Avoir", "Credit note";
    "bo.vat_rates" => "Taux de TVA (séparés par des virgules)", "VAT rates (comma separated)";
    "bo.default_vat" => "Taux par défaut", "Default rate";
    "bo.validity_days" => "Validité des devis (jours)", "Quote validity (days)";
    "bo.auto_validate" => "Valider automatiquement les bons de commande", "Validate purchase orders automatically";
    "bo.stage_template" => "Étapes d'une commande (code | libellé | label, une par ligne)", "Order stages (code | French | English, one a line)";
    "bo.roles" => "Rôles", "Roles";
    "bo.role.admin" => "Administration", "Admin";
    "bo.role.sales" => "Commercial", "Sales";
    "bo.role.production" => "Production", "Production";
    "bo.role.accounting" => "Comptabilité", "Accounting";
    "bo.user_new" => "Nouveau membre de l'équipe", "New team member";
    "bo.user_created" => "Compte créé ; mot de passe à transmettre (une seule fois) :", "Account created; password to pass on (shown once):";
    "bo.contacts" => "Journal des contacts", "Contact log";
    "bo.contact_note" => "Contact avec le client (objet)", "Contact with the client (about)";
    "bo.nav.security" => "Sécurité", "Security";
    "totp.title" => "Code de vérification", "Verification code";
    "totp.help" => "Saisissez le code à 6 chiffres affiché par votre application d'authentification.", "Enter the 6-digit code shown by your authenticator app.";
    "totp.code" => "Code à 6 chiffres", "6-digit code";
    "totp.wrong" => "Code incorrect.", "Wrong code.";
    "totp.expired" => "Cette étape a expiré : reconnectez-vous.", "This step has expired: log in again.";
    "totp.on" => "La double authentification est active sur votre compte.", "Two-factor authentication is on for your account.";
    "totp.setup" => "Ajoutez cette clé à votre application d'authentification (ou l'URI), puis saisissez le code qu'elle affiche.", "Add this key to your authenticator app (or the URI), then enter the code it shows.";
    "totp.key" => "Clé", "Key";
    "totp.enable" => "Activer la double authentification", "Turn on two-factor authentication";
    "totp.disable" => "Désactiver la double authentification", "Turn off two-factor authentication";
    "bo.duplicate" => "Dupliquer", "Duplicate";
    "bo.duplicate.help" => "Nouveau devis en brouillon reprenant ces lignes, pour ce client ou un autre.", "A new draft quote with these lines, for this client or another.";
    "bo.logo" => "Logo (PNG, JPEG ou WebP, 2 Mo au plus)", "Logo (PNG, JPEG or WebP, 2 MB at most)";
    "bo.logo.save" => "Enregistrer le logo", "Save the logo";
    "bo.files" => "Fichiers livrés", "Delivered files";
    "stage.pending" => "À planifier", "To plan";
    "stage.planned" => "Planifiée", "Planned";
    "stage.done" => "Terminée", "Done";
    "bo.detail" => "Détail", "Detail";
    "yes" => "Oui", "Yes";
    "no" => "Non", "No";
    "optional" => "(facultatif)", "(optional)";
    "view" => "Voir", "View";
    "date" => "Date", "Date";
    "amount" => "Montant", "Amount";
    "status" => "Statut", "Status";
    "lang.switch" => "English", "Français";
    "footer" => "ImmoVr est une marque de Virtuelli. Vos données restent confidentielles.", "ImmoVr is a brand of Virtuelli. Your data stays confidential.";
}

#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Language);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match lookup(key).or_else(|| super::i18n_rights::lookup(key)).or_else(|| super::i18n_reform::lookup(key)) {
            Some((fr, en)) => match self.0 {
                Language::Fr => fr,
                Language::En => en,
            },
            None => {
                debug_assert!(false, "missing text {key}");
                "?"
            }
        }
    }

    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    /// "1 234,50 €" in French, "€1,234.50" in English.
    pub fn money(&self, amount: Decimal) -> String {
        immovr_core::money::format_eur(amount, self.0)
    }

    pub fn number(&self, d: Decimal) -> String {
        let s = d.normalize().to_string();
        if self.0 == Language::Fr { s.replace('.', ",") } else { s }
    }

    pub fn date(&self, d: Date) -> String {
        match self.0 {
            Language::Fr => format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
            Language::En => d.strftime("%-d %b %Y").to_string(),
        }
    }

    pub fn status(&self, s: &str) -> &'static str {
        self.t(&format!("status.{s}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn money_is_written_the_local_way() {
        assert_eq!(Tr(Language::Fr).money(dec!(1234.5)), "1\u{202f}234,50\u{a0}€");
        assert_eq!(Tr(Language::En).money(dec!(1234567.891)), "€1,234,567.89");
        assert_eq!(Tr(Language::Fr).money(dec!(0)), "0,00\u{a0}€");
        assert_eq!(Tr(Language::Fr).date(Date::constant(2026, 6, 5)), "05/06/2026");
    }
}
