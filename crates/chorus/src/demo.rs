//! `chorus demo`: fills a workspace with realistic contacts and conversations on every
//! channel — customer messages, replies, internal notes with mentions, assignments, labels
//! and resolutions — through the same use cases the API calls.

use anyhow::Result;
use app::{Actor, App, Error, Inbound, InboxInput, MemberInput, ReplyInput};
use domain::{ChannelKind, Identity, IdentityKind, InboxSettings, Priority, Role, Status, WorkspaceId};
use indicatif::{ProgressBar, ProgressStyle};

const FIRST: &[&str] =
    &["Anna", "Mart", "Olena", "Dmitri", "Kadri", "Taras", "Liis", "Andrei", "Maryna", "Jaan", "Sofia", "Pavel"];
const LAST: &[&str] =
    &["Tamm", "Kovalenko", "Ivanova", "Saar", "Shevchenko", "Mägi", "Petrov", "Kask", "Bondar", "Rebane"];
const COMPANIES: &[&str] =
    &["Nordic Parcel OÜ", "Kyiv Coffee Lab", "Baltic Bikes", "Minsk Print House", "Tallinn Tea Co", ""];
const OPENERS: &[(&str, &str)] = &[
    (
        "Order hasn't arrived",
        "Hi! I ordered a week ago and the parcel still hasn't arrived. Tracking says it is in Riga since Monday.",
    ),
    (
        "Refund for a damaged item",
        "The mug arrived broken. Could I get a refund or a replacement? Photos attached in my next message.",
    ),
    ("Can't sign in", "I reset my password twice but the sign-in page keeps saying the link expired."),
    (
        "Invoice with VAT number",
        "Could you reissue invoice 2291 with our company VAT number? Our accountant needs it by Friday.",
    ),
    ("Feature request: dark mode", "Love the app! Any plans for a dark mode? My eyes would thank you."),
    ("Change delivery address", "I moved last week — can you change the delivery address for my open order?"),
    ("Subscription renewal", "My card expired and the renewal failed. Where do I update the payment details?"),
];
const FOLLOW_UPS: &[&str] =
    &["Any news on this?", "Thanks, that helps!", "It still doesn't work, sorry.", "Great, all good now 🙌"];
const REPLIES: &[&str] = &[
    "Thanks for writing, and sorry about the trouble! I've checked your order and I'm on it.",
    "Yes, and we can do even better: I've sent a replacement today and refunded the shipping.",
    "Good news — I've fixed it on our side. Could you try once more and tell me how it goes?",
];
const NOTES: &[&str] = &[
    "@kai could you double-check the warehouse stock?",
    "@mari this one needs a refund approval",
    "Customer is VIP, keep it quick.",
];
const LABELS: &[&str] = &["delivery", "billing", "refund", "bug", "feature-request", "vip"];

/// A small deterministic generator, so two demo runs look alike.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

async fn ensure_inboxes(app: &App, owner: &Actor) -> Result<Vec<domain::Inbox>> {
    let existing = app.list_inboxes(owner).await?;
    let wanted = [
        (ChannelKind::Api, "Shop integration"),
        (ChannelKind::Email, "Support e-mail"),
        (ChannelKind::Widget, "Website chat"),
        (ChannelKind::Sms, "SMS"),
        (ChannelKind::Whatsapp, "WhatsApp"),
        (ChannelKind::Telegram, "Telegram"),
    ];
    let mut out = Vec::new();
    for (kind, name) in wanted {
        match existing.iter().find(|i| i.name == name) {
            Some(i) => out.push(i.clone()),
            None => {
                let mut settings = InboxSettings::default();
                if kind == ChannelKind::Email {
                    // Addresses are unique across workspaces: one per demo workspace.
                    let tag = &owner.workspace_id.0.simple().to_string()[..12];
                    let addresses = vec![format!("support.{tag}@example.com")];
                    let from_name = Some("Demo support".to_string());
                    settings.email = Some(domain::inbox::EmailSettings { addresses, from_name, ..Default::default() });
                }
                out.push(app.create_inbox(owner, InboxInput { kind, name: name.into(), settings }).await?)
            }
        }
    }
    Ok(out)
}

async fn ensure_agents(app: &App, owner: &Actor) -> Result<Vec<Actor>> {
    for (email, name) in
        [("kai@example.com", "Kai Saar"), ("mari@example.com", "Mari Kask"), ("taras@example.com", "Taras Bondar")]
    {
        let input =
            MemberInput { email: email.into(), name: name.into(), password: "demo-password".into(), role: Role::Agent };
        match app.create_member(owner, input).await {
            Ok(_) | Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(app
        .list_members(owner)
        .await?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| Actor { workspace_id: owner.workspace_id, user_id: m.user.id, role: m.role })
        .collect())
}

fn identity_for(kind: ChannelKind, i: usize, first: &str, last: &str) -> Result<Identity> {
    let (k, v) = match kind {
        ChannelKind::Email | ChannelKind::Api => {
            (IdentityKind::Email, format!("{}.{}{i}@example.net", first.to_lowercase(), last.to_lowercase()))
        }
        ChannelKind::Sms | ChannelKind::Whatsapp | ChannelKind::Voice => {
            (IdentityKind::Phone, format!("+3725{:07}", 1_000_000 + i))
        }
        ChannelKind::Telegram => (IdentityKind::Telegram, format!("{}", 700_000_000 + i)),
        ChannelKind::Messenger => (IdentityKind::Messenger, format!("psid-{i}")),
        ChannelKind::Widget => (IdentityKind::Widget, format!("visitor-{i}")),
    };
    Ok(Identity::parse(k, &v)?)
}

/// Creates `contacts` customers with one to three conversations each.
pub async fn fill(app: &App, ws: WorkspaceId, contacts: usize) -> Result<()> {
    let owner = Actor::system(ws);
    let inboxes = ensure_inboxes(app, &owner).await?;
    let agents = ensure_agents(app, &owner).await?;
    let mut rng = Rng(42);
    let bar = ProgressBar::new(contacts as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} contacts {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut conversations = 0usize;
    for i in 0..contacts {
        let (first, last) = (*rng.pick(FIRST), *rng.pick(LAST));
        let company = *rng.pick(COMPANIES);
        for n in 0..(1 + rng.next() % 3) as usize {
            let inbox = rng.pick(&inboxes);
            let (subject, opener) = *rng.pick(OPENERS);
            let from = identity_for(inbox.kind, i, first, last)?;
            let inbound = Inbound {
                inbox_id: inbox.id,
                provider_message_id: Some(format!("demo-{i}-{n}")),
                from: from.clone(),
                name: Some(format!("{first} {last}")),
                subject: (inbox.kind == ChannelKind::Email).then(|| subject.to_string()),
                text: opener.into(),
                html: None,
                attachments: vec![],
                routing: Default::default(),
            };
            let out = app.receive_inbound(ws, inbound).await?;
            if out.duplicate {
                continue;
            }
            conversations += 1;
            let conv = out.conversation.id;
            if n == 0 && !company.is_empty() {
                let patch = app::ContactPatch { company: Some(Some(company.into())), ..Default::default() };
                app.update_contact(&owner, out.conversation.contact_id, patch).await?;
            }
            let agent = *rng.pick(&agents);
            if rng.chance(70) {
                app.assign(&agent, conv, Some(agent.user_id)).await?;
                app.reply(&agent, conv, ReplyInput { text: rng.pick(REPLIES).to_string(), ..Default::default() })
                    .await?;
            }
            if rng.chance(25) {
                let note = *rng.pick(NOTES);
                app.add_note(&agent, conv, note).await?;
            }
            if rng.chance(40) {
                app.set_labels(&agent, conv, vec![rng.pick(LABELS).to_string()]).await?;
            }
            if rng.chance(15) {
                app.set_priority(&agent, conv, *rng.pick(&[Priority::High, Priority::Urgent, Priority::Low])).await?;
            }
            if rng.chance(30) {
                let follow = Inbound {
                    inbox_id: inbox.id,
                    provider_message_id: Some(format!("demo-{i}-{n}-f")),
                    from: from.clone(),
                    name: None,
                    subject: None,
                    text: rng.pick(FOLLOW_UPS).to_string(),
                    html: None,
                    attachments: vec![],
                    routing: Default::default(),
                };
                app.receive_inbound(ws, follow).await?;
            }
            if rng.chance(40) {
                app.set_status(&agent, conv, Status::Resolved, None).await?;
            } else if rng.chance(15) {
                app.set_status(&agent, conv, Status::Pending, None).await?;
            }
        }
        bar.inc(1);
    }
    bar.finish_with_message(format!("— {conversations} conversations"));
    println!(
        "Agents can sign in as kai@example.com, mari@example.com or taras@example.com with the password demo-password."
    );
    Ok(())
}
