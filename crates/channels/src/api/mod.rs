//! The API channel: a custom integration posts customer messages to Chorus over the REST
//! API, and Chorus POSTs the team's replies to the inbox's callback URL, signed with
//! HMAC-SHA256 over the body using the inbox secret.
//!
//! [`codec`] builds and signs the callback body; [`adapter`] delivers it; [`ApiDeliverer`]
//! plugs both into the delivery worker.

pub mod adapter;
pub mod codec;

pub use adapter::{ApiSender, ClientError, SendError, SendOutcome};
pub use codec::{DELIVERY_HEADER, OutboundPayload, SIGNATURE_HEADER, render, sign, verify};

use app::{Deliverer, DeliveryError, DeliveryFuture, DeliveryRequest};
use domain::Attachment;

/// Delivers replies of API inboxes for the job workers: renders the payload, signs it with
/// the inbox secret and POSTs it to the inbox's callback URL.
pub struct ApiDeliverer {
    sender: ApiSender,
    attachment_url: Box<dyn Fn(&Attachment) -> String + Send + Sync>,
}

impl ApiDeliverer {
    /// Sends with `sender`; `attachment_url` gives the absolute URL a receiver fetches an
    /// attachment from (it knows the address Chorus is reached at; this crate does not).
    pub fn new(sender: ApiSender, attachment_url: impl Fn(&Attachment) -> String + Send + Sync + 'static) -> Self {
        ApiDeliverer { sender, attachment_url: Box::new(attachment_url) }
    }
}

impl Deliverer for ApiDeliverer {
    fn deliver<'a>(&'a self, request: DeliveryRequest<'a>) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let DeliveryRequest { inbox, conversation, contact, message, .. } = request;
            let Some(url) = inbox.settings.callback_url.as_deref() else {
                return Err(DeliveryError {
                    message: format!(
                        "inbox {:?} has no callback URL; set settings.callback_url to send replies",
                        inbox.name
                    ),
                    permanent: true,
                });
            };
            let body = render(inbox, conversation, contact, message, &self.attachment_url);
            match self.sender.send(url, &inbox.secret, body, &message.id.to_string()).await {
                Ok(outcome) => Ok(outcome.provider_message_id),
                Err(SendError { message, permanent }) => Err(DeliveryError { message, permanent }),
            }
        })
    }
}
