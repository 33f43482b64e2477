//! What a background job does. Every kind is listed here once: the store decodes a job row's
//! `kind` into one of these (a kind this version does not know is an error, not a guess), and
//! the job runner matches on them, so a new kind cannot be enqueued without being run.

crate::wire_enum!(
    /// The kinds of background job, by the name stored in `jobs.kind`.
    JobKind, "job kind" {
        CreateTickets => "tickets.create_many",
        UpdateTickets => "tickets.update_many",
        DestroyTickets => "tickets.destroy_many",
        PurgeTickets => "tickets.purge",
        BulkUpdate => "tickets.bulk_ui",
        CreateUsers => "users.create_many",
        CreateOrganizations => "organizations.create_many",
        CampaignSend => "campaign.send",
        Webhook => "webhook",
        Notification => "notification",
        Reply => "email.reply",
        Link => "email.link",
        KeptNotice => "email.kept_notice",
        MailRetry => "email.retry",
    }
);

/// How the job runner runs a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Its effect is outside the database (a mail, a webhook call, a kept message taken in
    /// again, which commits on its own): sent first, completed after, so a worker killed in
    /// between sends again with the same ids.
    Outside,
    /// Its effects and its completion commit in one transaction.
    InOneTransaction,
    /// A chunk of work per transaction, with its progress, until done: it may be handed back
    /// between chunks.
    InChunks,
}

impl JobKind {
    pub fn runs(self) -> Runs {
        use JobKind::*;
        match self {
            Webhook | Notification | Reply | Link | KeptNotice | MailRetry => Runs::Outside,
            BulkUpdate | CampaignSend => Runs::InChunks,
            CreateTickets | UpdateTickets | DestroyTickets | PurgeTickets | CreateUsers | CreateOrganizations => {
                Runs::InOneTransaction
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()).unwrap(), *k);
        }
        assert!(JobKind::parse("tickets.something_new").is_err());
    }
}
