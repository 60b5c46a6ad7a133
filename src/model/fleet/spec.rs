//! The `[site]` table of a run file: rack groups and their refreshes, as the user writes them.
//! [`super::build`] turns them into the fleet.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::library::CoolingKind;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub name: Option<String>,
    pub group: Vec<GroupSpec>,
    /// Settings of a pool as a whole (pools are named by their groups' `pool`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pool: Vec<PoolSpec>,
}

/// A `[[site.pool]]` table: what a pool keeps for its consumer classes. Training jobs do not
/// start on the reserved accelerators and are not served out of them, so a pool shared by
/// training and request classes keeps that much for the requests whatever training does.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub name: Spanned<String>,
    /// Accelerators reserved for consumer classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_for_consumers: Option<f64>,
    /// Or a share (0 to 1) of the pool's online accelerators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_for_consumers_share: Option<f64>,
}

/// A rack group: `count` racks of a library rack type, or `count` bare servers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: Spanned<String>,
    pub rack: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub count: f64,
    /// Pool the group serves in; default its own name.
    pub pool: Option<Spanned<String>>,
    /// Override the rack type's cooling ("air", "liquid" or "immersion"), e.g. to study the
    /// same servers in a liquid-cooled design.
    pub cooling: Option<CoolingKind>,
    /// Online date `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM`) on the study clock; default: from the
    /// start. Before it the group has no servers.
    pub online: Option<Spanned<String>>,
    /// Days over which the group's working share ramps linearly from 0 to 1 after its online
    /// date; default 0 (full capacity at once).
    pub commissioning_days: Option<f64>,
    /// Hardware refresh: one table `{ date = "2027-07-01", rack = "...", downtime_days = 14 }`
    /// or a list of them (`[[site.group.refresh]]`), in date order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<Refreshes>,
}

/// One hardware refresh of a group: at `date` the hardware in service goes out (its working
/// share drops to 0) and the new hardware ramps linearly back to full over `downtime_days`.
/// `rack` or `server` names the new type (default: the same type re-installed), `count` the
/// new number of racks or servers (default: unchanged), `cooling` overrides the new type's
/// cooling (default: the new rack's own, air for bare servers; the old hardware's when the type
/// is unchanged).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshSpec {
    pub date: Spanned<String>,
    pub rack: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub count: Option<Spanned<f64>>,
    pub downtime_days: Option<Spanned<f64>>,
    pub cooling: Option<CoolingKind>,
}

/// A group's `refresh`: one table or a list of tables.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Refreshes {
    One(RefreshSpec),
    Many(Vec<RefreshSpec>),
}

impl Refreshes {
    pub fn list(&self) -> &[RefreshSpec] {
        match self {
            Refreshes::One(r) => std::slice::from_ref(r),
            Refreshes::Many(v) => v,
        }
    }
}

impl<'de> Deserialize<'de> for Refreshes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Refreshes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a refresh table like { date = \"2027-07-01\", rack = \"hgx-b200-x8-liquid\", downtime_days = 14 } or a list of them",
                )
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> std::result::Result<Refreshes, A::Error> {
                RefreshSpec::deserialize(serde::de::value::MapAccessDeserializer::new(a))
                    .map(Refreshes::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> std::result::Result<Refreshes, A::Error> {
                Vec::<RefreshSpec>::deserialize(serde::de::value::SeqAccessDeserializer::new(a))
                    .map(Refreshes::Many)
            }
        }
        d.deserialize_any(V)
    }
}
