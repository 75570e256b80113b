//! Realistic customers and messages, deterministic from a number, so every run and every
//! benchmark builds the same data set and asks the same questions of it. Text only: nothing
//! here touches the store or the network.

use std::sync::LazyLock;

/// splitmix64: small, fast and good enough to vary text.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `words`.
    pub fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len() as u64) as usize]
    }
}

pub fn email(customer: usize) -> String {
    const DOMAINS: &[&str] = &["example.net", "example.com", "example.org"];
    format!("c{customer}@{}", DOMAINS[customer % DOMAINS.len()])
}

pub fn name(customer: usize) -> String {
    let mut rng = Rng::new(customer as u64);
    format!("{} {}", rng.word(&FIRST_NAMES), rng.word(&LAST_NAMES))
}

/// A seven-digit order number that appears in one message only.
pub fn order_number(seed: u64) -> u64 {
    1_000_000 + Rng::new(seed).next() % 9_000_000
}

/// A subject and a few sentences a customer might write.
pub fn message(seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let product = rng.word(PRODUCTS);
    let problem = rng.word(PROBLEMS);
    let order = order_number(seed);
    let subject = match rng.below(3) {
        0 => format!("Problem with my {product}"),
        1 => format!("Order {order}: the {product} {problem}"),
        _ => format!("Question about order {order}"),
    };
    let (greeting, day) = (rng.word(GREETINGS), rng.word(DAYS));
    let mut text = match rng.below(3) {
        0 => format!("{greeting}, I ordered the {product} on {day} and it {problem}."),
        1 => format!("{greeting}, the {product} I bought on {day} {problem}."),
        _ => format!("{greeting}, my new {product} {problem}."),
    };
    text.push_str(&match rng.below(3) {
        0 => format!(" My order number is {order}. "),
        1 => format!(" It was order #{order}. "),
        _ => format!(" Reference: {order}. "),
    });
    text.push_str(rng.word(ASKS));
    if rng.below(2) == 0 {
        let context = rng.word(CONTEXT).replace("{city}", rng.word(&CITIES)).replace("{day}", rng.word(DAYS));
        text.push(' ');
        text.push_str(&context);
    }
    if rng.below(20) == 0 {
        text.push_str(&format!(" P.S. the box had a {} sticker on it.", rng.word(&RARE)));
    }
    text.push_str(&format!(" {}, {}", rng.word(SIGN_OFFS), rng.word(&FIRST_NAMES)));
    (subject, text)
}

/// The words of a space-separated list.
fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

const GREETINGS: &[&str] = &["Hi", "Hello", "Good morning", "Hey there", "Dear support team", "Good afternoon"];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const SIGN_OFFS: &[&str] = &["Thanks", "Thank you", "Best regards", "Cheers", "Kind regards", "Many thanks"];
static FIRST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Ana Ben Chloe Dmitri Emma Farah Gustavo Hana Ivan Jia Kofi Lena Mateo Nadia Oskar Priya Quentin \
        Rosa Sami Tomas Uma Viktor Wen Yara Zane",
    )
});
static LAST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Silva Novak Okafor Schmidt Haddad Kowalski Lindqvist Moreau Nakamura O'Brien Petrova Rossi \
        Santos Tanaka Usman Varga Weber Yilmaz Zhang Bianchi",
    )
});
pub const PRODUCTS: &[&str] = &[
    "espresso machine",
    "standing desk",
    "wireless headphones",
    "running shoes",
    "winter jacket",
    "smart thermostat",
    "phone case",
    "yoga mat",
    "coffee grinder",
    "hiking backpack",
    "desk lamp",
    "electric kettle",
    "gaming mouse",
    "mechanical keyboard",
    "air purifier",
    "baby stroller",
    "camping tent",
    "kitchen blender",
    "robot vacuum",
    "office chair",
    "bike helmet",
    "water bottle",
    "smartwatch",
    "tablet stand",
];
const PROBLEMS: &[&str] = &[
    "arrived damaged",
    "stopped working after two days",
    "is missing a part",
    "was the wrong size",
    "never arrived",
    "makes a strange noise",
    "does not turn on",
    "came in the wrong colour",
    "was charged twice",
    "looks nothing like the pictures",
];
const ASKS: &[&str] = &[
    "Could you send a replacement?",
    "I would like a refund, please.",
    "Can you tell me where my parcel is?",
    "Please cancel the rest of my order.",
    "Is there a warranty on this?",
    "How do I return it?",
    "Can someone call me back today?",
    "Could you update my delivery address?",
    "I need an invoice for my company.",
    "Please reset my password, I cannot sign in to my account.",
];
const CONTEXT: &[&str] = &[
    "I already tried restarting it twice.",
    "The courier left a note but nobody rang the bell.",
    "My neighbour in {city} received the parcel instead.",
    "This is the second time this has happened.",
    "The tracking page has not changed since {day}.",
    "I bought it as a gift, so it is a bit urgent.",
    "Your chat assistant told me to write here.",
    "I attached a photo of the box.",
    "I am travelling to {city} on {day} and need it before then.",
];
pub static CITIES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Lisbon Porto Berlin Hamburg Lyon Nantes Madrid Seville Turin Krakow Gdansk Dublin Cork Leeds \
        Bristol Oslo Bergen Tallinn Riga Vilnius",
    )
});
/// Words that each appear in about one message in two thousand.
pub static RARE: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "quokka zephyr marmalade kumquat obsidian tambourine pelican gondola xylophone platypus saffron \
        origami narwhal juniper calliope tundra mandolin periwinkle wombat cardamom falafel hologram \
        lighthouse meringue nebula ocelot pistachio quasar rhubarb sequoia toucan ukulele vermilion \
        walrus yodel zucchini albatross bonsai cinnamon dandelion eucalyptus flamingo gazebo hazelnut \
        iguana jasmine kaleidoscope lavender mongoose nutmeg octopus paprika quince raccoon sundial \
        tortoise umbrella vanilla wisteria yak anchovy biscotti chameleon dragonfly emerald fennel \
        gingerbread hedgehog indigo jellyfish kiwi lemongrass macaron nightingale oregano pomegranate \
        quiche rosemary salamander tangerine turquoise velvet waffle zeppelin armadillo buttercup cobalt \
        dolphin elderflower firefly gecko hyacinth ivory jaguar koala lynx magnolia nectarine opal \
        puffin",
    )
});
