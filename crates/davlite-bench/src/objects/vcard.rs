//! Contacts as address books really hold them: vCard 3.0 and 4.0 side by side, phones, mails,
//! addresses, notes, and a share of them with an embedded photo (the usual large property).

use super::{escape_text, prose, push_line};
use crate::{base64, rng::Rng};

/// One generated vCard resource.
#[derive(Debug, Clone)]
pub struct Card {
    pub uid: String,
    pub version4: bool,
    pub has_photo: bool,
    pub body: String,
}

const GIVEN: &[&str] = &[
    "Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia",
];
const FAMILY: &[&str] = &[
    "Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen",
    "Dijkstra", "Perlman",
];

/// The contact numbered `index` for `seed`.
pub fn vcard(seed: u64, index: u64, uid_prefix: &str) -> Card {
    let mut rng = Rng::new(seed ^ 0x5EED_CA4D, index);
    let uid = format!("{uid_prefix}-card-{index:06}");
    let version4 = rng.chance(50);
    let has_photo = rng.chance(20);
    let (given, family) = (*rng.pick(GIVEN), *rng.pick(FAMILY));
    let mut lines = vec![
        "BEGIN:VCARD".to_string(),
        format!("VERSION:{}", if version4 { "4.0" } else { "3.0" }),
        format!("UID:{uid}"),
        format!("FN:{given} {family} {index}"),
        format!("N:{family};{given};;;"),
        format!("ORG:Example Corp {}", rng.range(1, 50)),
        format!("TITLE:{}", escape_text(&super::title(&mut rng))),
    ];
    for (i, kind) in ["work", "home"]
        .iter()
        .take(rng.range(1, 3) as usize)
        .enumerate()
    {
        let mail = format!(
            "{}.{}{i}@example.com",
            given.to_lowercase(),
            family.to_lowercase()
        );
        lines.push(if version4 {
            format!("EMAIL;TYPE={kind}:{mail}")
        } else {
            format!("EMAIL;TYPE=INTERNET,{}:{mail}", kind.to_uppercase())
        });
    }
    for kind in ["cell", "work"].iter().take(rng.range(1, 3) as usize) {
        let num = format!(
            "+1-555-{:03}-{:04}",
            rng.range(100, 1000),
            rng.range(0, 10_000)
        );
        lines.push(if version4 {
            format!("TEL;VALUE=uri;TYPE={kind}:tel:{num}")
        } else {
            format!("TEL;TYPE={}:{num}", kind.to_uppercase())
        });
    }
    lines.push(format!(
        "ADR;TYPE={}:;;{} Main Street;Springfield;;{:05};USA",
        if version4 { "home" } else { "HOME" },
        rng.range(1, 999),
        rng.range(10_000, 99_999)
    ));
    if rng.chance(50) {
        lines.push(format!(
            "BDAY:{}{:02}{:02}",
            rng.range(1950, 2005),
            rng.range(1, 13),
            rng.range(1, 29)
        ));
    }
    if has_photo {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        let n = rng.range(600, 2200);
        jpeg.extend((0..n).map(|_| rng.next_u64() as u8));
        jpeg.extend([0xFF, 0xD9]);
        let data = base64::encode(&jpeg);
        lines.push(if version4 {
            format!("PHOTO:data:image/jpeg;base64,{data}")
        } else {
            format!("PHOTO;ENCODING=b;TYPE=JPEG:{data}")
        });
    }
    let target = rng.range(500, 4000) as usize;
    let used: usize = lines.iter().map(|l| l.len() + 3).sum::<usize>() + 40;
    if target > used + 40 {
        lines.push(format!(
            "NOTE:{}",
            escape_text(&prose(&mut rng, (target - used) * 94 / 100))
        ));
    }
    lines.push("END:VCARD".into());
    let mut body = String::with_capacity(target + 128);
    for l in &lines {
        push_line(&mut body, l);
    }
    Card {
        uid,
        version4,
        has_photo,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::vcard;

    #[test]
    fn versions_photos_and_sizes() {
        let cards: Vec<_> = (0..400).map(|i| vcard(2, i, "t")).collect();
        assert!(cards.iter().any(|c| c.version4) && cards.iter().any(|c| !c.version4));
        let photos: Vec<_> = cards.iter().filter(|c| c.has_photo).collect();
        assert!(photos.len() > 40);
        assert!(photos.iter().all(|c| c.body.contains("PHOTO")));
        for c in &cards {
            assert!(c.body.starts_with("BEGIN:VCARD\r\nVERSION:"));
            assert!(c.body.contains(&format!("UID:{}\r\n", c.uid)));
            assert!((300..=4600).contains(&c.body.len()), "{}", c.body.len());
        }
        assert_eq!(vcard(2, 5, "t").body, cards[5].body);
    }
}
