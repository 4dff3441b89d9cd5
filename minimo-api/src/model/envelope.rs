//! Decoding a body the vendor shows both wrapped in `data` and bare, in one pass.
//!
//! serde's untagged enums buffer the whole body into an intermediate tree and decode it again
//! for each variant. Here the keys are read once: the first key that is `data` means the body
//! is wrapped and `T` is decoded from its value; the first key that only a bare `T` has (its
//! *marker*, e.g. a contact's `id`) means the body is bare and `T` is decoded from the map,
//! that key included. Keys before either (an envelope's `status` or `success`, say) are kept
//! aside and handed to `T` if the body turns out bare. So `{"data": {...}}`,
//! `{"success": true, "data": {...}}` and a bare `{"id": 42, ...}` all decode without
//! buffering the contact, and nothing is lost in the rarer orders.

use serde::Deserialize;
use serde::de::value::{CowStrDeserializer, MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The key of a wrapped body.
const DATA: &str = "data";

/// Decodes `T` from `{"data": T}` or from a bare `T`. `markers` are keys only a bare `T`
/// has; with no markers, any first key other than `data` means the body is bare. Arrays and
/// scalars are decoded as a bare `T`.
pub(crate) fn deserialize<'de, D, T>(
    deserializer: D,
    markers: &'static [&'static str],
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(EnvelopeVisitor {
        markers,
        marker: PhantomData,
    })
}

struct EnvelopeVisitor<T> {
    markers: &'static [&'static str],
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, bare or wrapped in `data`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut aside: Vec<(String, Value)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == DATA {
                let value = map.next_value::<T>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(value);
            }
            if self.markers.is_empty() || self.markers.contains(&key.as_ref()) {
                return T::deserialize(MapAccessDeserializer::new(Replay {
                    aside: aside.into_iter(),
                    value: None,
                    pending: Some(key),
                    rest: Some(map),
                }));
            }
            aside.push((key.into_owned(), map.next_value()?));
        }
        T::deserialize(MapAccessDeserializer::new(Replay::<A> {
            aside: aside.into_iter(),
            value: None,
            pending: None,
            rest: None,
        }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        T::deserialize(().into_deserializer())
    }
}

/// A map key, borrowed from the input when it holds no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The entries put aside, then the key that decided, then the rest of the original map.
struct Replay<'de, A> {
    aside: std::vec::IntoIter<(String, Value)>,
    /// The value of the entry put aside whose key was just handed out.
    value: Option<Value>,
    pending: Option<Cow<'de, str>>,
    rest: Option<A>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some((key, value)) = self.aside.next() {
            self.value = Some(value);
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
        if let Some(key) = self.pending.take() {
            return seed
                .deserialize(CowStrDeserializer::<A::Error>::new(key))
                .map(Some);
        }
        match &mut self.rest {
            Some(rest) => rest.next_key_seed(seed),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if let Some(value) = self.value.take() {
            return seed.deserialize(value).map_err(de::Error::custom);
        }
        match &mut self.rest {
            Some(rest) => rest.next_value_seed(seed),
            None => Err(de::Error::custom(
                "a map value was asked for after the last key",
            )),
        }
    }
}

/// Implements `Deserialize` (wrapped or bare) and `Serialize` (bare) for a newtype over a
/// body type, with an accessor for the inner value.
macro_rules! enveloped {
    ($(#[$doc:meta])* $name:ident($inner:ty), markers = $markers:expr, $into:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(pub $inner);

        impl $name {
            /// The body, whichever shape the server answered with.
            pub fn $into(self) -> $inner {
                self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::model::envelope::deserialize(deserializer, $markers).map($name)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }
    };
}

pub(crate) use enveloped;
