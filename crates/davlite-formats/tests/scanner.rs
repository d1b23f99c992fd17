//! The content-line scanner on the inputs clients and old exporters really send.

use davlite_formats::scan::{Scanner, decode_quoted_printable, unescape_text, unfold};

fn lines(src: &[u8]) -> Vec<(u32, String, String)> {
    Scanner::new(src)
        .map(|l| {
            let l = l.expect("line scans");
            (
                l.line,
                String::from_utf8(l.name().into_owned()).unwrap(),
                String::from_utf8(l.value().into_owned()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn crlf_lf_and_bare_cr_endings_give_the_same_lines() {
    let want = vec![
        (1, "A".to_string(), "1".to_string()),
        (2, "B".into(), "2".into()),
    ];
    assert_eq!(lines(b"A:1\r\nB:2\r\n"), want);
    assert_eq!(lines(b"A:1\nB:2\n"), want);
    assert_eq!(lines(b"A:1\rB:2\r"), want);
    assert_eq!(lines(b"A:1\r\nB:2"), want, "no final line ending");
    assert_eq!(lines(b"A:1\rB:2\n"), want, "mixed endings");
}

#[test]
fn folds_with_space_or_tab_are_removed_and_line_numbers_follow_physical_lines() {
    let got = lines(b"DESCRIPTION:ab\r\n cd\r\n\tef\r\nX:1\r\n");
    assert_eq!(got[0], (1, "DESCRIPTION".into(), "abcdef".into()));
    assert_eq!(got[1], (4, "X".into(), "1".into()));
    // Only one whitespace character is removed per fold.
    assert_eq!(lines(b"A:x\n  y\n")[0].2, "x y");
}

#[test]
fn fold_inside_a_utf8_sequence_is_rejoined() {
    // "é" is C3 A9; the fold splits it.
    let src = b"SUMMARY:caf\xC3\r\n \xA9 ok\r\n";
    let line = Scanner::new(src).next().unwrap().unwrap();
    assert!(
        std::str::from_utf8(line.value_raw()).is_err(),
        "raw bytes keep the fold"
    );
    assert_eq!(&*line.value(), "café ok".as_bytes());
}

#[test]
fn fold_inside_a_name_and_inside_a_quoted_parameter() {
    let src = b"ATTEN\r\n DEE;CN=\"Doe\r\n , Jane: the boss\";ROLE=CHAIR:mailto:j@x\r\n";
    let line = Scanner::new(src).next().unwrap().unwrap();
    assert!(line.is(b"ATTENDEE"));
    assert_eq!(&*line.param(b"CN").unwrap(), b"Doe, Jane: the boss");
    assert_eq!(&*line.param(b"ROLE").unwrap(), b"CHAIR");
    assert_eq!(&*line.value(), b"mailto:j@x");
}

#[test]
fn quoted_parameters_may_hold_colon_and_semicolon() {
    let src = b"X-LOC;LABEL=\"a;b:c\";ALTREP=\"http://x/y\":value:with:colons\n";
    let line = Scanner::new(src).next().unwrap().unwrap();
    assert_eq!(&*line.param(b"LABEL").unwrap(), b"a;b:c");
    assert_eq!(&*line.param(b"ALTREP").unwrap(), b"http://x/y");
    assert_eq!(line.value_raw(), b"value:with:colons");
    let params: Vec<_> = line.params().map(|p| p.name.into_owned()).collect();
    assert_eq!(params, vec![b"LABEL".to_vec(), b"ALTREP".to_vec()]);
}

#[test]
fn multi_valued_parameter_splits_outside_quotes_only() {
    let line = Scanner::new(b"A;MEMBER=\"mailto:a@x\",\"mailto:b,c@x\":v\n")
        .next()
        .unwrap()
        .unwrap();
    let p = line.params().next().unwrap();
    assert_eq!(
        p.values(),
        vec![b"mailto:a@x".to_vec(), b"mailto:b,c@x".to_vec()]
    );
}

#[test]
fn names_compare_case_insensitively() {
    let line = Scanner::new(b"dtStart;tzid=Europe/Berlin:20240101T100000\n")
        .next()
        .unwrap()
        .unwrap();
    assert!(line.is(b"DTSTART"));
    assert_eq!(&*line.param(b"TZID").unwrap(), b"Europe/Berlin");
}

#[test]
fn byte_order_mark_is_skipped() {
    assert_eq!(lines(b"\xEF\xBB\xBFBEGIN:VCARD\r\n")[0].1, "BEGIN");
}

#[test]
fn vcard_groups_are_split_from_the_name() {
    let line = Scanner::new(b"item1.EMAIL;type=INTERNET:a@b\n")
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(&*line.group().unwrap(), b"item1");
    assert!(line.is(b"EMAIL"));
    let err = Scanner::new(b"a.b.c:x\n").next().unwrap();
    assert!(err.is_err(), "two groups are not a name");
}

#[test]
fn vcard21_quoted_printable_soft_breaks_continue_the_value() {
    let src = b"NOTE;ENCODING=QUOTED-PRINTABLE:Zeile eins=0D=0A=\r\nZeile zwei=\r\n ok\r\nFN:x\r\n";
    let got: Vec<_> = Scanner::new(src).map(Result::unwrap).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].line, 4);
    let decoded = decode_quoted_printable(&got[0].value());
    assert_eq!(decoded, b"Zeile eins\r\nZeile zwei ok");
    // The bare 2.1 form `;QUOTED-PRINTABLE` works as well.
    let src = b"N;QUOTED-PRINTABLE:M=C3=BC=\nller\nFN:x\n";
    let first = Scanner::new(src).next().unwrap().unwrap();
    assert_eq!(decode_quoted_printable(&first.value()), "Müller".as_bytes());
}

#[test]
fn base64_padding_is_not_mistaken_for_a_soft_break() {
    let src = b"PHOTO;ENCODING=b:AAAA==\nFN:x\n";
    assert_eq!(lines(src).len(), 2);
}

#[test]
fn malformed_lines_are_reported_with_their_line() {
    let err = Scanner::new(b"A:1\nNOCOLON\n").nth(1).unwrap().unwrap_err();
    assert_eq!(err.line, 2);
    let err = Scanner::new(b"A;P=\"open:1\n").next().unwrap().unwrap_err();
    assert_eq!(err.reason, "quoted parameter value is not closed");
    let err = Scanner::new(b"A B:1\n").next().unwrap().unwrap_err();
    assert_eq!(err.reason, "invalid character in a property name");
    assert!(Scanner::new(b":x\n").next().unwrap().is_err(), "empty name");
    assert!(
        Scanner::new(b" A:1\n").next().unwrap().is_err(),
        "continuation without a line"
    );
}

#[test]
fn blank_lines_are_skipped_and_counted() {
    let got = lines(b"A:1\r\n\r\n  \r\nB:2\r\n\r\n");
    assert_eq!(got[1].0, 4);
    assert_eq!(got.len(), 2);
}

#[test]
fn unfold_and_unescape_borrow_when_there_is_nothing_to_do() {
    assert!(matches!(unfold(b"plain"), std::borrow::Cow::Borrowed(_)));
    assert!(matches!(
        unescape_text(b"plain"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(&*unescape_text(b"a\\, b\\; c\\n d\\\\"), b"a, b; c\n d\\");
}

#[test]
fn one_megabyte_folded_line_scans_in_linear_time() {
    let mut src = b"DESCRIPTION:".to_vec();
    for i in 0..1_000_000u32 {
        if i % 74 == 73 {
            src.extend_from_slice(b"\r\n ");
        }
        src.push(b'a' + (i % 26) as u8);
    }
    src.extend_from_slice(b"\r\nX:1\r\n");
    let t = std::time::Instant::now();
    let got: Vec<_> = Scanner::new(&src).map(Result::unwrap).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].value().len(), 1_000_000);
    assert!(t.elapsed().as_secs() < 2, "took {:?}", t.elapsed());
}

/// What a scan makes of the first line of `body`: its parts and flags, or the error.
fn first_line(body: &[u8]) -> Result<String, davlite_formats::scan::ScanError> {
    let line = Scanner::new(body).next().expect("a line")?;
    Ok(format!(
        "line {} span {:?} group {:?} name {:?} params {:?} value {:?} bare {} lower {}",
        line.line,
        line.span(),
        line.group()
            .map(|g| String::from_utf8_lossy(&g).into_owned()),
        String::from_utf8_lossy(&line.name()),
        line.params_range(),
        String::from_utf8_lossy(&line.value()),
        line.has_bare_param(),
        line.name_has_lower(),
    ))
}

/// The scanner reads names and parameters sixteen bytes at a time and the last bytes of a body
/// one at a time. A line must scan the same whichever way it is read: alone (its bytes are the
/// end of the body) and followed by more lines, with its name and parameter values of every
/// length around sixteen so that each stop falls before, on and after a block's edge.
#[test]
fn a_line_scans_the_same_at_the_end_of_the_body_and_before_more_lines() {
    let shapes: &[(&str, &str)] = &[
        ("{n}:v", "plain"),
        ("{n};P={p};Q=2:value", "parameters"),
        ("{n};CN=\"{p}:B;C=D\":v", "quoted colon and semicolon"),
        ("{n};P;Q={p}:v", "a parameter without '='"),
        ("{n};P=\"{p}open:1", "an unclosed quote"),
        ("{n};P={p}\0b:v", "a NUL in a parameter"),
        ("{n}\r\n X:v", "a fold in the name"),
        ("{n};P={p}\r\n x:v", "a fold among the parameters"),
        ("{n};P=\"{p}\r\n b\":v", "a fold in a quoted value"),
        ("item1.{n};type={p}:v", "a group"),
        ("{n} B:v", "a space in the name"),
        ("{n}", "no colon"),
        ("{n};P={p}", "no colon after parameters"),
        ("{n}:{p}=\r\n", "a value ending in '='"),
        ("{n}:{p}{p}{p}{p}\r\n x", "a long value, folded"),
    ];
    let more = b"X-MORE:0123456789abcdefghijklmnopqrstuvwxyz\r\nEND:VEVENT\r\n";
    for (shape, what) in shapes {
        for n in 1..=20 {
            for p in [0, 1, 7, 8, 9, 14, 15, 16, 17, 31, 33] {
                // Mixed case in the name on some lengths, upper-case on the others.
                let name: String = (0..n)
                    .map(|k| {
                        if n % 3 == 0 && k == n / 2 {
                            'x'
                        } else {
                            (b'A' + (k % 26) as u8) as char
                        }
                    })
                    .collect();
                let value = "v".repeat(p);
                let line = shape.replace("{n}", &name).replace("{p}", &value) + "\r\n";
                let alone = first_line(line.as_bytes());
                let mut body = line.clone().into_bytes();
                body.extend_from_slice(more);
                let inside = first_line(&body);
                assert_eq!(alone, inside, "{what}: {line:?}");
            }
        }
    }
    // And the lexer found what the line holds, not only the same thing twice.
    let got =
        first_line(b"dTSTART;TZID=\"Europe/Berlin\";X-A=\"a:b;c\":20240101T100000\r\nX:1\r\n")
            .unwrap();
    assert!(got.contains("name \"dTSTART\""), "{got}");
    assert!(got.contains("value \"20240101T100000\""), "{got}");
    assert!(got.ends_with("bare false lower true"), "{got}");
    let got = first_line(b"ATTENDEE-WITH-A-LONG-NAME;RSVP;CN=x:mailto:a@b\r\nX:1\r\n").unwrap();
    assert!(got.ends_with("bare true lower false"), "{got}");
}

/// The tree keeps a folded line as one unfolded text with two offsets; that text must hold
/// exactly what the line's own readers give for its name, parameters and value, wherever the
/// folds fall (and a vCard 2.1 soft line break stays in a value that has no fold).
#[test]
fn a_folded_line_unfolds_into_one_text_that_agrees_with_each_part() {
    let lines: &[&[u8]] = &[
        b"DESCRI\r\n PTION:value\r\n",
        b"ATTENDEE;CN=\"A\";R\r\n SVP=TRUE:mailto:a@b\r\n",
        b"ATTENDEE;CN=\"A\r\n B\";ROLE=X:mailto:a@b\r\n",
        b"DESCRIPTION:one\r\n two\r\n\tthree\r\n",
        b"X\r\n -NAME;P=\r\n 1;Q=2:v\r\n alue\r\n",
        b"NOTE;ENCODING=QUOTED-PRINTABLE:a=\r\nb=\r\n c\r\n",
        b"NOTE;ENCODING=QUOTED-PRINTABLE:a=\r\nb\r\n c\r\n",
        b"item1.EMAIL;TY\r\n PE=work:a@b\r\n",
        b"SUMMARY:plain\r\n",
    ];
    for raw in lines {
        let mut body = raw.to_vec();
        body.extend_from_slice(b"END:VEVENT\r\n");
        let line = Scanner::new(&body).next().unwrap().unwrap();
        let mut text = b"prefix".to_vec();
        let (params_at, value_at) = line.write_unfolded(&mut text);
        let text = &text[6..];
        let show = String::from_utf8_lossy(raw);
        assert_eq!(&text[..params_at], &*line.name(), "name of {show:?}");
        assert_eq!(
            &text[params_at..value_at - 1],
            &*line.params_text(),
            "params of {show:?}"
        );
        assert_eq!(text[value_at - 1], b':', "{show:?}");
        assert_eq!(&text[value_at..], &*line.value(), "value of {show:?}");
    }
}
