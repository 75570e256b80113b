//! Routing figures: choosing an agent among 500 online agents while 10,000 conversations
//! wait, and ordering that queue. Prints p50/p99 beside the target; asserts nothing.
//!
//! `cargo bench -p chorus-domain --bench routing`

use chorus_domain::{
    AgentSlot, AssignmentPolicy, ConversationId, Presence, Priority, UserId, Waiting, choose_agent, position_of,
    sort_queue,
};
use std::hint::black_box;
use std::time::{Duration, Instant};
use uuid::Uuid;

const AGENTS: usize = 500;
const WAITING: usize = 10_000;
const ITERATIONS: usize = 10_000;
const TARGET: Duration = Duration::from_millis(1);

/// xorshift64: deterministic, no crate needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u128((u128::from(self.next()) << 64) | u128::from(self.next()))
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    (at(50), at(99))
}

fn report(name: &str, samples: Vec<Duration>, judged: bool) {
    let (p50, p99) = percentiles(samples);
    let verdict = match (judged, p99 < TARGET) {
        (false, _) => "",
        (true, true) => "  ok",
        (true, false) => "  OVER TARGET",
    };
    println!("{name:<34} p50 {:>9.1} µs   p99 {:>9.1} µs{verdict}", micros(p50), micros(p99));
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn time(mut f: impl FnMut(usize)) -> Vec<Duration> {
    (0..ITERATIONS)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect()
}

fn main() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let agents: Vec<AgentSlot> = (0..AGENTS)
        .map(|_| AgentSlot {
            user_id: UserId(rng.uuid()),
            presence: Presence::Online,
            // 0.0 to 5.0 in steps of 0.1: some agents full, most with room.
            load: rng.below(51) as f64 / 10.0,
            max_load: 5.0,
            last_assigned_at: Some(1_700_000_000_000 + rng.below(86_400_000) as i64),
        })
        .collect();
    let priorities = [Priority::None, Priority::Low, Priority::Medium, Priority::High, Priority::Urgent];
    let queue: Vec<Waiting> = (0..WAITING)
        .map(|_| Waiting {
            id: ConversationId(rng.uuid()),
            priority: priorities[rng.below(5) as usize],
            waiting_since: 1_700_000_000_000 + rng.below(3_600_000) as i64,
        })
        .collect();

    println!("routing: {AGENTS} online agents, {WAITING} waiting conversations, {ITERATIONS} iterations each");
    println!("target: choosing an agent with 500 online agents and 10,000 waiting: p99 < 1 ms");

    let weights = [1.0, 0.5, 0.2];
    let balanced = time(|i| {
        black_box(choose_agent(AssignmentPolicy::Balanced, black_box(&agents), weights[i % 3], None));
    });
    report("choose_agent balanced", balanced, true);

    let mut cursor = None;
    let round_robin = time(|i| {
        let choice = choose_agent(AssignmentPolicy::RoundRobin, black_box(&agents), weights[i % 3], cursor);
        cursor = choice.map(|c| c.user_id);
        black_box(choice);
    });
    report("choose_agent round_robin", round_robin, true);

    let mut scratch = queue.clone();
    let sorting = time(|_| {
        scratch.copy_from_slice(&queue);
        sort_queue(black_box(&mut scratch));
    });
    report("sort_queue (10,000 waiting)", sorting, false);

    let positions = time(|i| {
        let id = queue[(i * 7_919) % WAITING].id;
        black_box(position_of(black_box(&queue), id));
    });
    report("position_of (10,000 waiting)", positions, false);
}
