//! `GET /errors` and `POST /errors/{error}`: the error gallery (see
//! [`crate::lab::gallery`]): each error the provider can answer, on demand, with the wire
//! response, its cause and its fix. The page and its routes are the lab's
//! ([`crate::routes::lab`]); this is the gallery's catalogue for them.

use std::future::Future;

use crate::lab::LabError;
use crate::lab::gallery::{self, GalleryEntry, GalleryReport};
use crate::lab::harness::LabContext;
use crate::routes::lab::Catalogue;

/// The error gallery: [`crate::lab::gallery`].
pub struct ErrorGallery;

impl Catalogue for ErrorGallery {
    type Item = GalleryEntry;
    type Report = GalleryReport;
    const TEMPLATE: &'static str = "errors.html";

    fn items() -> Vec<GalleryEntry> {
        gallery::entries()
    }

    fn id(entry: &GalleryEntry) -> &'static str {
        entry.id
    }

    fn run<'c>(
        id: &'c str,
        ctx: &'c LabContext<'c>,
    ) -> impl Future<Output = Option<Result<GalleryReport, LabError>>> + 'c {
        gallery::trigger(id, ctx)
    }
}
