//! addressbook-query filter evaluation (RFC 6352 §10.5).
//!
//! A prop-filter matches when the property is absent (`is-not-defined`), or when some instance
//! of the property (any group, `item1.EMAIL` counts as EMAIL) satisfies its text-matches and
//! param-filters, combined by the prop-filter's own `test`. With neither, the property only has
//! to exist. The filter's prop-filters combine by the filter's `test`; an empty filter matches.

use super::FilterError;
use super::calendar::param_filter;
use super::text::text_matches;
use crate::filter::{CardFilter, CardPropFilter, Test};
use crate::tree::{Prop, Tree};

/// Whether the vCard `bytes` matches `filter`.
pub fn matches_card(filter: &CardFilter, bytes: &[u8]) -> Result<bool, FilterError> {
    validate_card_filter(filter)?;
    let tree = Tree::parse(bytes).map_err(|e| FilterError::Unreadable(e.to_string()))?;
    let card = tree.root();
    if !card.is("VCARD") {
        return Err(FilterError::Unreadable(
            "root component is not VCARD".into(),
        ));
    }
    let one = |pf: &CardPropFilter| prop_filter(card.props(), pf);
    Ok(match filter.test {
        _ if filter.prop_filters.is_empty() => true,
        Test::AnyOf => filter.prop_filters.iter().any(one),
        Test::AllOf => filter.prop_filters.iter().all(one),
    })
}

/// Checks a card filter before any data is read.
pub fn validate_card_filter(filter: &CardFilter) -> Result<(), FilterError> {
    for pf in &filter.prop_filters {
        if pf.name.is_empty() {
            return Err(FilterError::Invalid {
                element: "prop-filter".into(),
                reason: "prop-filter without a name".into(),
            });
        }
        if pf.is_not_defined && (!pf.text_matches.is_empty() || !pf.param_filters.is_empty()) {
            return Err(FilterError::Invalid {
                element: "is-not-defined".into(),
                reason: format!(
                    "prop-filter {} combines is-not-defined with other tests",
                    pf.name
                ),
            });
        }
        for f in &pf.param_filters {
            if f.name.is_empty() {
                return Err(FilterError::Invalid {
                    element: "param-filter".into(),
                    reason: "param-filter without a name".into(),
                });
            }
        }
    }
    Ok(())
}

fn prop_filter(props: &[Prop<'_>], pf: &CardPropFilter) -> bool {
    let mut named = props.iter().filter(|p| p.is(&pf.name));
    if pf.is_not_defined {
        return named.next().is_none();
    }
    named.any(|p| {
        if pf.text_matches.is_empty() && pf.param_filters.is_empty() {
            return true;
        }
        let value = p.text();
        let mut tests = pf
            .text_matches
            .iter()
            .map(|tm| text_matches(tm, &value))
            .chain(pf.param_filters.iter().map(|f| param_filter(p, f)));
        match pf.test {
            Test::AnyOf => tests.any(|b| b),
            Test::AllOf => tests.all(|b| b),
        }
    })
}
